"""The engine's private channel to the FastAPI front door.

Runs inside the engine (Rasa 3.6, Python 3.10); the application never imports
it.  One POST per user turn returns the bot's messages *and* the conversation
state the chat API needs (slots set during the turn, the active form), so the
front door makes a single call per turn.

Every request must carry ``Authorization: Bearer <token>``; the token comes
from ``credentials.yml`` (``${ENGINE_TOKEN}``).  Message text is never logged.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from contract import Slot, TurnState

logger = logging.getLogger(__name__)

MIN_TOKEN_LENGTH = 16
MAX_MESSAGE_LENGTH = 10_000
MAX_SENDER_LENGTH = 128


def turn_state(tracker: DialogueStateTracker) -> Dict[Text, Any]:
    """What happened since the latest user message, plus the form state: ``contract.TurnState`` as JSON.

    ``effects`` are what the actions said they did (the slot ``effects``, set in this turn).
    """
    events = list(tracker.events)
    start = 0
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            start = index + 1
            break
    turn_events = events[start:]
    # The form that was running when the user wrote: their message answered it.
    form_at_start = None
    for event in events[: max(start - 1, 0)]:
        if isinstance(event, ActiveLoop):
            form_at_start = event.name
    slots_set = {e.key: e.value for e in turn_events if isinstance(e, SlotSet)}
    actions = [
        e.action_name
        for e in turn_events
        if isinstance(e, ActionExecuted) and e.action_name and e.action_name != "action_listen"
    ]
    latest_intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
    # EmergencyGuard's decision on the latest message ({"intent", "category", "level", "source"}), if any.
    emergency = tracker.latest_message.parse_data.get("emergency") if tracker.latest_message else None
    effects = slots_set.get(Slot.EFFECTS)
    return TurnState(
        slots_set=slots_set,
        slots=tracker.current_slot_values(),
        active_loop=tracker.active_loop_name,
        form_at_start=form_at_start,
        requested_slot=tracker.get_slot(Slot.REQUESTED_SLOT),
        actions=actions,
        intent=latest_intent,
        emergency=emergency if isinstance(emergency, dict) else None,
        effects=[str(e) for e in effects] if isinstance(effects, list) else [],
    ).to_dict()


#: A tracker-store error younger than this makes the engine report itself degraded.
RECENT_ERROR_S = 30.0


class TrackerStoreWatch:
    """Counts the errors of Rasa's tracker store, which Rasa itself only logs.

    Rasa wraps the configured store in a ``FailSafeTrackerStore``: when the
    database cannot be read, a conversation silently restarts from scratch;
    when it cannot be written, the turn goes to an in-memory store and is lost
    at the next read.  Installed as that wrapper's error callback, this watch
    lets the channel refuse such a turn (503 ``tracker_store``) instead of
    answering from a conversation that is not the user's.
    """

    def __init__(self) -> None:
        self.errors = 0
        self.last_error_at: Optional[float] = None

    def __call__(self, error: Exception) -> None:
        self.errors += 1
        self.last_error_at = time.monotonic()
        # The exception's text may carry SQL parameters (the conversation): only its type is logged.
        cause = getattr(error, "orig", None)
        logger.error(
            "frontdoor: the tracker store failed (%s%s)",
            type(error).__name__,
            f" from {type(cause).__module__}.{type(cause).__name__}" if cause is not None else "",
        )

    def recent(self) -> bool:
        return self.last_error_at is not None and time.monotonic() - self.last_error_at < RECENT_ERROR_S


def watch_tracker_store(agent: Any) -> Optional[TrackerStoreWatch]:
    """Install (once) the error watch on the agent's fail-safe store, and ping pooled SQL connections.

    ``pool_pre_ping`` is not an option of Rasa's SQL tracker store: it is set
    on its pool here, and the connections opened before are closed, so that a
    restarted database server costs no turn.
    """
    store = getattr(agent, "tracker_store", None)
    if store is None or not hasattr(store, "_on_tracker_store_error"):
        return None
    watch = store._on_tracker_store_error
    if not isinstance(watch, TrackerStoreWatch):
        watch = TrackerStoreWatch()
        store._on_tracker_store_error = watch
        inner = getattr(store, "_tracker_store", None)
        inner = getattr(inner, "_tracker_store", inner)
        pool = getattr(getattr(inner, "engine", None), "pool", None)
        if pool is not None and hasattr(pool, "_pre_ping") and not pool._pre_ping:
            pool._pre_ping = True
            # A connection opened before (Rasa's own, at start-up) counts as fresh and would
            # skip its first ping: after a database restart its first turn would fail.  Closed.
            pool.dispose()
    return watch


def tracker_store_status(agent: Any) -> Dict[Text, Any]:
    """Which tracker store serves, and whether Rasa fell back to memory.

    ``in_memory``: the configured store could not be created and Rasa silently
    uses memory (conversations are neither shared nor kept).  ``fell_back_to_memory``:
    a save failed at least once and went to memory.  ``failing``: a read or a
    write failed in the last ``RECENT_ERROR_S`` seconds.
    """
    store = getattr(agent, "tracker_store", None)
    inner = getattr(store, "_tracker_store", store)
    inner = getattr(inner, "_tracker_store", inner)  # AwaitableTrackerStore wrapper
    fallback = getattr(store, "_fallback_tracker_store", None)
    watch = getattr(store, "_on_tracker_store_error", None)
    status: Dict[Text, Any] = {
        "type": type(inner).__name__ if inner is not None else None,
        "fell_back_to_memory": fallback is not None,
    }
    if isinstance(watch, TrackerStoreWatch):
        status["errors"] = watch.errors
        status["failing"] = watch.recent()
    return status


def not_serving(agent: Any) -> bool:
    """True when this instance must not take a turn: no model yet, or no real tracker store.

    Without a usable ``tracker_store`` in its endpoints file (missing, or a
    type Rasa cannot import), Rasa silently serves from memory: conversations
    would be neither kept nor shared with the other instances.  Such an
    instance answers like one still loading its model, so the front door sends
    the turn to another one (or says the engine is unavailable).
    """
    if agent is None or not agent.is_ready():
        return True
    return tracker_store_status(agent)["type"] in (None, "InMemoryTrackerStore")


def store_healthy(status: Optional[Dict[Text, Any]]) -> bool:
    return bool(
        status is not None
        and status["type"] not in (None, "InMemoryTrackerStore")
        and not status.get("failing", False)
    )


class SavedTrackers:
    """Keeps the tracker Rasa saves at the end of a front-door turn, so the channel need not read it back.

    Installed (once) as the ``save`` of the agent's tracker store.  Only the
    conversations the channel is waiting for are kept, and each is handed over
    (and forgotten) when its turn ends: reading the whole conversation back from
    the database after every turn would double the store's work.
    """

    def __init__(self, save: Callable[[DialogueStateTracker], Awaitable[None]]) -> None:
        self._save = save
        self._waiting: Dict[Text, int] = {}
        self._saved: Dict[Text, DialogueStateTracker] = {}

    async def __call__(self, tracker: DialogueStateTracker) -> None:
        await self._save(tracker)
        if tracker.sender_id in self._waiting:
            self._saved[tracker.sender_id] = tracker

    def expect(self, sender: Text) -> None:
        self._waiting[sender] = self._waiting.get(sender, 0) + 1

    def take(self, sender: Text) -> Optional[DialogueStateTracker]:
        count = self._waiting.get(sender, 0) - 1
        if count > 0:
            self._waiting[sender] = count
        else:
            self._waiting.pop(sender, None)
        return self._saved.pop(sender, None)


def saved_trackers(agent: Any) -> Optional[SavedTrackers]:
    """The agent's ``SavedTrackers`` (installed on first use), or None without a tracker store."""
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return None
    current = getattr(store, "save", None)
    if isinstance(current, SavedTrackers):
        return current
    if current is None:
        return None
    saved = SavedTrackers(current)
    store.save = saved
    return saved


class FrontDoorInput(InputChannel):
    """``POST /webhooks/frontdoor/webhook``: one user turn, with its state."""

    @classmethod
    def name(cls) -> Text:
        return "frontdoor"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(token=str(credentials.get("token") or ""))

    def __init__(self, token: Text) -> None:
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(
                "The frontdoor channel needs a token of at least "
                f"{MIN_TOKEN_LENGTH} characters (ENGINE_TOKEN)."
            )
        self._token = token.encode()

    def authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(value.strip().encode(), self._token)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        bp = Blueprint("frontdoor_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if not self.authorized(request):
                return response.json({"error": "unauthorized"}, status=401)
            agent = getattr(request.app.ctx, "agent", None)
            ready = bool(agent is not None and agent.is_ready())
            if ready:
                watch_tracker_store(agent)
            store = tracker_store_status(agent) if ready else None
            healthy = ready and store_healthy(store)
            return response.json(
                {"status": "ok" if healthy else "degraded", "model_loaded": ready, "tracker_store": store},
                status=200 if healthy else 503,
            )

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.authorized(request):
                return response.json({"error": "unauthorized"}, status=401)
            payload = request.json if isinstance(request.json, dict) else {}
            sender = payload.get("sender")
            text = payload.get("message")
            metadata = payload.get("metadata") or {}
            if (
                not isinstance(sender, str)
                or not 0 < len(sender) <= MAX_SENDER_LENGTH
                or not isinstance(text, str)
                or len(text) > MAX_MESSAGE_LENGTH
                or not isinstance(metadata, dict)
            ):
                return response.json({"error": "bad_request"}, status=400)

            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not_serving(agent):
                return response.json({"error": "not_ready"}, status=503)

            watch = watch_tracker_store(agent)
            errors_before = watch.errors if watch is not None else 0
            collector = CollectingOutputChannel()
            saved = saved_trackers(agent)
            if saved is not None:
                saved.expect(sender)
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
                )
                tracker = saved.take(sender) if saved is not None else None
                if tracker is None:
                    tracker = await agent.tracker_store.retrieve(sender)
            except Exception:
                if saved is not None:
                    saved.take(sender)
                logger.exception("frontdoor: processing a message failed")
                return response.json({"error": "engine_failure"}, status=500)
            if watch is not None and watch.errors != errors_before:
                # The conversation could not be read or saved: this answer may come from an empty
                # conversation and the turn is not stored.  Void: the user is asked to send it again.
                return response.json({"error": "tracker_store"}, status=503)

            state = turn_state(tracker) if tracker is not None else {}
            state["tracker_store"] = tracker_store_status(agent)
            messages: List[Dict[Text, Any]] = collector.messages
            return response.json({"messages": messages, "state": state})

        return bp
