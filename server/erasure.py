"""Deleting withdrawn people's conversations from the engine's tracker store.

A withdrawal (action server) queues the conversations to erase in the table
``erasure_requests``, in the same transaction that deletes the registration.
The front door runs the queue once the engine has saved the turn, and at
start-up, so that a crash in between only delays the erasure.
"""

from __future__ import annotations

import logging

from sqlalchemy import bindparam, delete, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from store.engine import create_engine, transaction
from store.models import UndeliveredMessage
from store.registrations import pending_erasures

logger = logging.getLogger(__name__)

#: Rasa's SQL tracker store keeps one row per event, keyed by the conversation's sender id.
_DELETE_EVENTS = text("DELETE FROM events WHERE sender_id IN :ids").bindparams(bindparam("ids", expanding=True))


class TrackerEraser:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], tracker_url: str, pool_size: int = 1, max_overflow: int = 1
    ) -> None:
        self._sessions = sessions
        self._tracker_url = tracker_url
        self._pool = (pool_size, max_overflow)
        self._tracker: AsyncEngine | None = None

    def _tracker_engine(self) -> AsyncEngine:
        if self._tracker is None:
            self._tracker = create_engine(self._tracker_url, *self._pool)
        return self._tracker

    async def run_pending(self) -> int:
        """Erase every queued conversation; return how many were erased."""
        try:
            async with transaction(self._sessions) as db:
                requests = list(await pending_erasures(db))
                if not requests:
                    return 0
                senders = sorted({sender for request in requests for sender in request.sender_ids})
                async with self._tracker_engine().begin() as tracker:
                    await tracker.execute(_DELETE_EVENTS, {"ids": senders})
                await db.execute(delete(UndeliveredMessage).where(UndeliveredMessage.session_id.in_(senders)))
                for request in requests:
                    await db.delete(request)
                return len(senders)
        except SQLAlchemyError as exc:
            logger.error("erasure: not done yet (%s); retried after the next withdrawal or restart", type(exc).__name__)
            return 0

    async def aclose(self) -> None:
        if self._tracker is not None:
            await self._tracker.dispose()
