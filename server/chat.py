"""One user turn: session, input checks, engine call, and the API's view of the state."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contract import TYPED_SLASH, Effect, Intent, Slot, TurnState
from knowledge.loader import get_knowledge
from knowledge.messages import message
from server.api.schemas import Button, ChatMessage, ChatResponse, FormState, Route
from server.engine_client import EngineClient, EngineUnavailable, Turn
from server.erasure import TrackerEraser
from server.notify import OutboxSender
from server.ratelimit import RateLimits
from store.base import utcnow
from store.engine import transaction
from store.erasure import erase
from store.models import ChatSession, TurnLog, Unanswered, UndeliveredMessage

logger = logging.getLogger(__name__)

#: Server-issued ids: 32 url-safe characters = 192 random bits.
SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
#: Characters removed from user text before it reaches the engine: control characters, and lone
#: surrogates (not characters: a JSON "\\ud800" escape; they cannot be encoded to send or store).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
TEXT_GUARD = TYPED_SLASH  # typed "/..." text stays text (contract.TYPED_SLASH)


def new_session_id() -> str:
    return secrets.token_urlsafe(24)


def clean_text(text: str) -> str:
    return _CONTROL.sub("", text).strip()


def guard_payload(text: str, offered: list[Any]) -> str:
    """Let a ``/payload`` through only when it is a button offered to this session."""
    if text.startswith("/") and text not in offered:
        return TEXT_GUARD + text
    return text


def to_api(turn: Turn, session_id: str) -> ChatResponse:
    messages: list[ChatMessage] = []
    for raw in turn.messages:
        text = raw.get("text")
        buttons = [
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in raw.get("buttons") or []
            if isinstance(b, dict)
        ]
        if isinstance(text, str) and text:
            messages.append(ChatMessage(text=text, buttons=buttons))
        elif buttons and messages:
            messages[-1].buttons.extend(buttons)
    slots = turn.slots
    topic = turn.slots_set.get(Slot.TOPIC) if Slot.TOPIC in turn.slots_set else None
    route = None
    if slots.get(Slot.ROUTE_SERVICE):
        route = Route(
            service=str(slots[Slot.ROUTE_SERVICE]),
            ticket=slots.get(Slot.ROUTE_TICKET),
            ru=slots.get(Slot.ROUTE_RU),
        )
    form = None
    if turn.state.active_loop:
        form = FormState(name=turn.state.active_loop, requested_slot=turn.state.requested_slot)
    return ChatResponse(session_id=session_id, messages=messages, topic=topic, route=route, form=form)


#: The knowledge entry said at once when the user's message signals an emergency (the intent's name).
EMERGENCY = Intent.EMERGENCY


def is_emergency_intent(intent: str | None) -> bool:
    """``urgence`` (the numbers) or ``urgence_<category>`` (bot/components/emergency_guard.py)."""
    return bool(intent) and (intent == EMERGENCY or str(intent).startswith(EMERGENCY + "_"))


def ensure_emergency_answer(
    response: ChatResponse, intent: str | None, emergency: dict[str, Any] | None = None
) -> ChatResponse:
    """An emergency gets its category's numbers first, in any state.

    ``intent``: the understood intent; ``emergency``: the emergency guard's
    decision (``{"intent", "category", "level", "source"}``).  The dialogue
    answers an emergency intent itself; when something else took the turn (a
    form that read the message as a field value, say), the category's answer is
    put first and the rest of the turn, form included, is kept so the user can
    resume.  A *possible* emergency keeps its normal answer and topic, with the
    category's numbers first.
    """
    knowledge = get_knowledge()
    alarm = emergency if isinstance(emergency, dict) else {}
    if is_emergency_intent(intent):
        entry, possible = knowledge.for_intent(intent), False
    elif alarm.get("level") in ("certain", "possible") and is_emergency_intent(str(alarm.get("intent"))):
        entry, possible = knowledge.for_intent(str(alarm.get("intent"))), True
    else:
        return response
    entry = entry or knowledge.get(EMERGENCY)
    if entry is None or response.topic == entry.id:
        return response
    text = message("answer_long", answer=entry.long, sources=entry.source_line())
    if response.messages and response.messages[0].text == text:
        return response
    response.messages.insert(0, ChatMessage(text=text))
    if not possible:
        response.topic = entry.id
    return response


class SessionLocks:
    """One asyncio lock per session id, held for a whole turn, in arrival order (asyncio locks are FIFO).

    Turns of one conversation are thus handled one at a time and in the order
    this process received them: the offered buttons and the statistics row of a
    turn are written before the next turn starts.  Across several front-door
    processes, the engines' Redis lock store still serialises the turns (in the
    order they reach the engine).  A lock is dropped when nobody holds or waits for it.
    """

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class ChatService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: EngineClient,
        eraser: TrackerEraser | None = None,
        outbox: OutboxSender | None = None,
        *,
        limits: RateLimits | None = None,
    ) -> None:
        self._sessions = sessions
        self._engine = engine
        self._eraser = eraser
        self._outbox = outbox
        self._limits = limits
        self._locks = SessionLocks()

    async def _open_session(
        self, session_id: str | None, channel: str, *, issued: bool = False
    ) -> tuple[str, list[Any]]:
        """The known session, or a new one.

        A browser's id is only ever reused, never created: an unknown id gets a
        fresh server-issued one.  ``issued`` is for ids the server derived
        itself (a messaging channel's keyed hash of the sender): created as given.
        """
        async with transaction(self._sessions) as db:
            if session_id and SESSION_ID_PATTERN.match(session_id):
                known = await db.get(ChatSession, session_id)
                if known is not None:
                    return known.id, list(known.offered_payloads or [])
            fresh_id = session_id if issued and session_id and SESSION_ID_PATTERN.match(session_id) else None
            fresh = ChatSession(id=fresh_id or new_session_id(), channel=channel, offered_payloads=[])
            db.add(fresh)
            return fresh.id, []

    async def open_session(self, session_id: str | None, channel: str, *, issued: bool = False) -> str:
        """The id to use for this conversation (see ``_open_session``)."""
        sid, _ = await self._open_session(session_id, channel, issued=issued)
        return sid

    async def known(self, session_id: str) -> bool:
        if not SESSION_ID_PATTERN.match(session_id):
            return False
        async with transaction(self._sessions) as db:
            return await db.get(ChatSession, session_id) is not None

    async def offer(self, session_id: str, payloads: list[str]) -> None:
        """Record buttons the front door itself offered (a channel's welcome)."""
        async with transaction(self._sessions) as db:
            row = await db.get(ChatSession, session_id)
            if row is not None:
                row.offered_payloads = list(payloads)

    async def forget(self, session_id: str) -> bool:
        """Erase one conversation (``store.erasure.erase``): its rows here, then its transcript in the engine.

        The statistics rows (``turn_log``: topic, no text) stay.  Returns False
        when the session is unknown.
        """
        if not SESSION_ID_PATTERN.match(session_id):
            return False
        async with transaction(self._sessions) as db:
            row = await db.get(ChatSession, session_id)
            if row is None:
                return False
            await erase(db, [session_id])
        if self._eraser is not None:
            await self._eraser.run_pending()
        return True

    async def _record_turn(
        self,
        session_id: str,
        channel: str,
        text: str,
        response: ChatResponse,
        state: TurnState,
        *,
        delivered: bool = False,
    ) -> None:
        """The buttons offered (only they may come back as payloads), and the turn for the statistics.

        A message that was not understood is kept, with its text, among the
        unanswered questions staff review to improve the training data; never an
        answer to a form (a name, an address), which is personal data.
        """
        payloads = [b.payload for m in response.messages for b in m.buttons]
        in_form = state.in_form
        fallback = state.intent == Intent.FALLBACK
        async with transaction(self._sessions) as db:
            row = await db.get(ChatSession, session_id)
            if row is not None:
                row.offered_payloads = payloads
                row.last_seen_at = utcnow()
            db.add(TurnLog(session_id=session_id, channel=channel, topic=response.topic, fallback=fallback))
            if fallback and not in_form:
                db.add(Unanswered(session_id=session_id, kind="fallback", text=text))
            if delivered:  # what waited was resent or superseded (same transaction: one commit per turn)
                await db.execute(delete(UndeliveredMessage).where(UndeliveredMessage.session_id == session_id))

    async def _keep_undelivered(self, session_id: str, channel: str, text: str, component: str) -> None:
        """Store a message that could not be handled, so that it is not lost (see ``UndeliveredMessage``)."""
        try:
            async with transaction(self._sessions) as db:
                db.add(UndeliveredMessage(session_id=session_id, channel=channel, text=text, component=component))
        except SQLAlchemyError as exc:  # the database itself is down: the user is told to resend it
            logger.error("chat: an undelivered message could not be stored (%s)", type(exc).__name__)

    async def turn(
        self,
        text: str,
        session_id: str | None,
        mode: str,
        channel: str = "api",
        *,
        issued: bool = False,
        keep_undelivered: bool = True,
        client: str | None = None,
    ) -> ChatResponse:
        """One turn; ``EngineUnavailable`` (with the session id) when a component it needs is down.

        ``client`` (an IP address) is what the rate limits count per client; ``RateLimited``
        when a budget is spent (``server.ratelimit``), before anything reaches the engine.

        ``keep_undelivered``: store the text when the turn fails (not for channels
        that keep and replay their own messages).  Turns of one session are
        handled one at a time, in the order they arrived (``SessionLocks``).
        """
        if self._limits is not None:
            await self._limits.admit_message(client, session_id)
        if session_id is None:
            return await self._turn(text, session_id, mode, channel, issued, keep_undelivered, client=client)
        async with self._locks.hold(session_id):
            return await self._turn(text, session_id, mode, channel, issued, keep_undelivered, client=client)

    async def _turn(
        self,
        text: str,
        session_id: str | None,
        mode: str,
        channel: str,
        issued: bool,
        keep_undelivered: bool,
        *,
        client: str | None = None,
    ) -> ChatResponse:
        try:
            sid, offered = await self._open_session(session_id, channel, issued=issued)
        except SQLAlchemyError as exc:
            logger.error("chat: the database is unreachable (%s)", type(exc).__name__)
            raise EngineUnavailable("database", type(exc).__name__) from exc
        guarded = guard_payload(text, offered)
        at_summary = False
        if self._limits is not None:
            if sid != session_id:  # a new conversation: its first message counts too
                await self._limits.admit_message(None, sid)
            # A message that may save a form is refused when the client's submission budget is spent.
            at_summary = await self._limits.admit_submission(sid, client or sid)
        try:
            turn = await self._engine.send(sid, guarded, {"mode": mode, "channel": channel})
            if not turn.messages:
                # Nothing said: a custom action or a form's validation failed, which Rasa hides.
                health = await self._engine.action_server_health()
                if health["status"] != "ok":
                    raise EngineUnavailable("actions", health.get("error", "down"), in_form=turn.state.in_form)
        except EngineUnavailable as exc:
            exc.session_id = sid
            if keep_undelivered:
                await self._keep_undelivered(sid, channel, text, exc.component)
            raise
        response = ensure_emergency_answer(to_api(turn, sid), turn.state.intent, turn.state.emergency)
        if self._limits is not None:
            await self._limits.after_turn(sid, client or sid, at_summary, turn.state)
        try:
            await self._record_turn(sid, channel, text, response, turn.state, delivered=keep_undelivered)
        except SQLAlchemyError as exc:
            # The engine has handled the turn (a registration may be saved): the answer is still given.
            logger.error("chat: the turn could not be recorded (%s)", type(exc).__name__)
        if self._eraser is not None and turn.state.did(Effect.REGISTRATION_WITHDRAWN):
            # The engine has saved this turn: its events can now be erased with the others.
            await self._eraser.run_pending()
        if self._outbox is not None and turn.state.did(Effect.TICKET_CREATED):
            self._outbox.wake()  # send the new ticket's e-mail now rather than at the next poll
        return response
