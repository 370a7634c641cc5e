"""The inbound worker: stores a messaging channel's messages, then answers them in the background.

* each message is stored (``inbound_messages``) before the webhook answers 200,
  under a keyed hash of its id: a platform's retry of a stored message is ignored;
* :class:`InboundWorker` runs the turns in the background, in order per sender,
  and sends the replies; a failed send is retried with back-off and, after
  ``attempts_before_failure`` attempts, the message is marked ``failed`` (the log
  says so, with the error's class only).  While the engine is unavailable a
  message stays pending and is tried again later: it is never lost;
* privacy: the sender is only known by a keyed hash (the session id).  The number
  to answer and the text are sealed (``server.channels.sealing``) while they
  wait, and cleared once the reply is sent; the logs carry neither.  A message
  that is one of the ``channel_forget_phrases`` ("STOP"…) erases the conversation
  (``ChatService.forget``: ``store.erasure.erase``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contract.text import fold
from knowledge.messages import message
from server.api.schemas import ChatMessage, ChatResponse
from server.channels.base import PAYLOAD, TEXT, Channel, DeliveryError, Inbound
from server.channels.sealing import seal, unseal
from server.chat import ChatService, clean_text
from server.engine_client import EngineUnavailable
from server.notify import backoff
from server.ratelimit import RateLimited
from store.base import utcnow
from store.engine import transaction
from store.models import InboundMessage, InboundState

logger = logging.getLogger(__name__)

#: Answered messages are kept (without number nor text) this long: the platforms' retries come sooner.
KEEP_DONE = dt.timedelta(days=7)
#: Senders whose messages are processed at the same time.
CONCURRENT_SENDERS = 8
_ACTIVE = (InboundState.PENDING, InboundState.REPLYING)
_FINISHED = (InboundState.DONE, InboundState.FAILED)


def _normalized(text: str) -> str:
    bare = fold(text)
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def is_forget_request(text: str) -> bool:
    """The whole message is one of ``channel_forget_phrases`` (case, accents and punctuation ignored)."""
    phrases = {_normalized(p) for p in message("channel_forget_phrases").split("|")}
    return _normalized(text) in phrases - {""}


def _notice(session_id: str, text: str) -> ChatResponse:
    return ChatResponse(session_id=session_id, messages=[ChatMessage(text=text)])


class InboundWorker:
    """Stores a channel's messages, then answers them in the background (see the module's docstring)."""

    def __init__(
        self,
        channel: Channel,
        sessions: async_sessionmaker[AsyncSession],
        chat: ChatService,
        max_message_chars: int,
    ) -> None:
        self.channel = channel
        self._sessions = sessions
        self._chat = chat
        self._max_chars = max_message_chars
        self._wake = asyncio.Event()
        self._limit = asyncio.Semaphore(CONCURRENT_SENDERS)

    def wake(self) -> None:
        self._wake.set()

    async def receive(self, messages: Iterable[Inbound]) -> int:
        """Store the messages (a retry of a stored one is ignored); return how many were new."""
        channel = self.channel
        stored = 0
        for inbound in messages:
            row = InboundMessage(
                channel=channel.name,
                message_key=channel.digest(f"message:{channel.name}:{inbound.message_id}"),
                session_id=channel.session_id(inbound.sender),
                kind=inbound.kind,
                recipient=seal(channel.key, inbound.sender),
                text=seal(channel.key, inbound.text) if inbound.text is not None else None,
            )
            try:
                async with transaction(self._sessions) as db:
                    db.add(row)
            except IntegrityError:
                continue  # already stored: the platform delivered it again
            stored += 1
        if stored:
            self.wake()
        return stored

    async def run_once(self) -> int:
        """Process the due messages, in order per sender; return how many were finished."""
        if not self.channel.enabled:
            return 0
        async with self._sessions() as db:
            senders = (
                await db.execute(
                    select(InboundMessage.session_id)
                    .where(InboundMessage.channel == self.channel.name, InboundMessage.state.in_(_ACTIVE))
                    .group_by(InboundMessage.session_id)
                    .order_by(func.min(InboundMessage.id))
                )
            ).scalars()
            senders_list = list(senders)
        finished = sum(await asyncio.gather(*(self._drain(sid) for sid in senders_list)))
        await self._purge()
        return finished

    async def _drain(self, session_id: str) -> int:
        """The sender's messages, oldest first, until one has to wait."""
        finished = 0
        async with self._limit:
            while True:
                async with self._sessions() as db:
                    row = (
                        await db.execute(
                            select(InboundMessage)
                            .where(
                                InboundMessage.channel == self.channel.name,
                                InboundMessage.session_id == session_id,
                                InboundMessage.state.in_(_ACTIVE),
                            )
                            .order_by(InboundMessage.id)
                            .limit(1)
                        )
                    ).scalar_one_or_none()
                    if row is None:
                        return finished
                    due = await db.scalar(
                        select(func.count())
                        .select_from(InboundMessage)
                        .where(InboundMessage.id == row.id, InboundMessage.next_attempt_at <= utcnow())
                    )
                if not due or not await self._step(row):
                    return finished
                finished += 1

    async def _step(self, row: InboundMessage) -> bool:
        """Answer one message and send the replies; True when it is finished (sent or failed)."""
        name = self.channel.name
        if row.state == InboundState.PENDING:
            try:
                replies = self.channel.render(await self._answer(row))
            except EngineUnavailable as exc:
                logger.warning("%s: engine unavailable (%s), message %s kept for later", name, exc.component, row.id)
                await self._later(row.id, type(exc).__name__)
                return False
            except Exception as exc:  # noqa: BLE001 - a bug must not stop the worker; only the class is kept
                return await self._failed_attempt(row.id, type(exc).__name__)
            async with transaction(self._sessions) as db:
                answered = await db.get(InboundMessage, row.id)
                if answered is None:  # erased meanwhile
                    return True
                answered.text = None
                answered.replies = seal(self.channel.key, json.dumps(replies, ensure_ascii=False))
                answered.sent = 0
                answered.attempts = 0
                answered.last_error = None
                answered.state = InboundState.REPLYING
            row = answered
        return await self._send(row)

    async def _turn(self, text: str, sid: str) -> ChatResponse:
        """A turn for the sender; over a rate limit (per sender), the French notice instead."""
        try:
            return await self._chat.turn(
                text, sid, "patient", self.channel.name, issued=True, keep_undelivered=False, client=sid
            )
        except RateLimited as exc:
            return _notice(sid, exc.detail)

    async def _answer(self, row: InboundMessage) -> ChatResponse:
        sid = row.session_id
        text = clean_text(unseal(self.channel.key, row.text)) if row.text else ""
        if row.kind == PAYLOAD and text:
            return await self._turn(text, sid)
        if row.kind != TEXT:
            return _notice(sid, message("channel_unsupported"))
        if not text:
            return _notice(sid, message("empty_message"))
        if len(text) > self._max_chars:
            return _notice(sid, message("message_too_long", limit=self._max_chars))
        if is_forget_request(text):
            await self._chat.forget(sid)  # with the channel's finished messages (store.erasure)
            return _notice(sid, message("channel_forgotten"))
        return await self._turn(text, sid)

    async def _send(self, row: InboundMessage) -> bool:
        try:
            recipient = unseal(self.channel.key, row.recipient or "")
            replies: list[dict[str, Any]] = json.loads(unseal(self.channel.key, row.replies or ""))
        except ValueError as exc:  # SealError: the key changed since the message was stored
            return await self._failed_attempt(row.id, type(exc).__name__, final=True)
        for index in range(row.sent, len(replies)):
            try:
                await self.channel.deliver(recipient, replies[index])
            except DeliveryError as exc:
                return await self._failed_attempt(row.id, exc.kind)
            except Exception as exc:  # noqa: BLE001 - only the class is kept
                return await self._failed_attempt(row.id, type(exc).__name__)
            async with transaction(self._sessions) as db:
                progress = await db.get(InboundMessage, row.id)
                if progress is not None:
                    progress.sent = index + 1
        async with transaction(self._sessions) as db:
            done = await db.get(InboundMessage, row.id)
            if done is not None:
                done.state = InboundState.DONE
                done.recipient = done.text = done.replies = None
                done.last_error = None
                done.done_at = utcnow()
        return True

    async def _later(self, row_id: int, error: str) -> None:
        """Try again later, however long it takes (the engine is down): the message is not lost."""
        retry = self.channel.retry
        async with transaction(self._sessions) as db:
            row = await db.get(InboundMessage, row_id)
            if row is not None:
                row.attempts += 1
                row.last_error = error[:64]
                row.next_attempt_at = utcnow() + backoff(row.attempts, retry.base_s, retry.max_s)

    async def _failed_attempt(self, row_id: int, error: str, *, final: bool = False) -> bool:
        """Count a failed attempt; True when it was the last one (the message is then ``failed``)."""
        retry = self.channel.retry
        name = self.channel.name
        async with transaction(self._sessions) as db:
            row = await db.get(InboundMessage, row_id)
            if row is None:
                return True
            row.attempts += 1
            row.last_error = error[:64]
            if final or row.attempts >= retry.attempts_before_failure:
                row.state = InboundState.FAILED
                row.recipient = row.text = row.replies = None
                row.done_at = utcnow()
                attempts = row.attempts
            else:
                row.next_attempt_at = utcnow() + backoff(row.attempts, retry.base_s, retry.max_s)
                logger.warning("%s: reply to message %s not sent (%s), retried later", name, row_id, error)
                return False
        logger.error("%s: message %s marked failed after %d attempts (%s)", name, row_id, attempts, error)
        return True

    async def _purge(self) -> None:
        async with transaction(self._sessions) as db:
            await db.execute(
                delete(InboundMessage).where(
                    InboundMessage.channel == self.channel.name,
                    InboundMessage.state.in_(_FINISHED),
                    InboundMessage.received_at < utcnow() - KEEP_DONE,
                )
            )

    async def run_forever(self) -> None:
        try:
            while True:
                try:
                    await self.run_once()
                except SQLAlchemyError as exc:
                    logger.error("%s: database unavailable (%s), retried later", self.channel.name, type(exc).__name__)
                except Exception as exc:  # noqa: BLE001 - the worker must survive; only the class is logged
                    logger.error("%s: inbound worker error (%s), retried later", self.channel.name, type(exc).__name__)
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.channel.retry.poll_s)
                except TimeoutError:
                    pass
                self._wake.clear()
        finally:
            await self.channel.aclose()
