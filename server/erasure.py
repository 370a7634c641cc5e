"""The front door's side of erasure: deleting withdrawn or erased conversations from the tracker store.

Every erasure (``store.erasure.erase``) queues the conversations to delete in
``erasure_requests``, in the same transaction as the rest.  The front door runs
the queue once the engine has saved the turn, after an erasure by staff, and at
start-up, so that a crash in between only delays it.  ``events`` is the process's
one connection to the tracker store (``store.tracker_events``).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.erasure import run_pending
from store.tracker_events import TrackerEvents


class TrackerEraser:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], tracker_url: str, pool_size: int = 1, max_overflow: int = 1
    ) -> None:
        self._sessions = sessions
        self.events = TrackerEvents(tracker_url, pool_size, max_overflow)

    async def run_pending(self) -> int:
        """Erase every queued conversation; return how many were erased."""
        return await run_pending(self._sessions, self.events)

    async def aclose(self) -> None:
        await self.events.aclose()
