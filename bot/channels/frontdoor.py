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
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

MIN_TOKEN_LENGTH = 16
MAX_MESSAGE_LENGTH = 10_000
MAX_SENDER_LENGTH = 128


def turn_state(tracker: DialogueStateTracker) -> Dict[Text, Any]:
    """What happened since the latest user message, plus the form state."""
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
    return {
        "slots_set": slots_set,
        "slots": tracker.current_slot_values(),
        "active_loop": tracker.active_loop_name,
        "form_at_start": form_at_start,
        "requested_slot": tracker.get_slot("requested_slot"),
        "actions": actions,
        "intent": latest_intent,
    }


def tracker_store_status(agent: Any) -> Dict[Text, Any]:
    """Which tracker store serves, and whether Rasa fell back to memory."""
    store = getattr(agent, "tracker_store", None)
    inner = getattr(store, "_tracker_store", store)
    inner = getattr(inner, "_tracker_store", inner)  # AwaitableTrackerStore wrapper
    fallback = getattr(store, "_fallback_tracker_store", None)
    return {
        "type": type(inner).__name__ if inner is not None else None,
        "fell_back_to_memory": fallback is not None,
    }


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
            store = tracker_store_status(agent) if ready else None
            healthy = ready and store is not None and not store["fell_back_to_memory"]
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
            if agent is None or not agent.is_ready():
                return response.json({"error": "not_ready"}, status=503)

            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
                )
                tracker = await agent.tracker_store.retrieve(sender)
            except Exception:  # noqa: BLE001 - reported to the caller, text never logged
                logger.exception("frontdoor: processing a message failed")
                return response.json({"error": "engine_failure"}, status=500)

            state = turn_state(tracker) if tracker is not None else {}
            state["tracker_store"] = tracker_store_status(agent)
            messages: List[Dict[Text, Any]] = collector.messages
            return response.json({"messages": messages, "state": state})

        return bp
