"""Every SQL statement on Rasa's tracker store (the engine's ``events`` table), with one engine.

Rasa's SQL tracker store keeps one row per event, keyed by the conversation's
sender id (``sender_id``), with its ``type_name``, ``timestamp`` (epoch seconds)
and ``data`` (the event as JSON).  The front door reads transcripts from it (right
of access), deletes conversations (erasure) and old events (retention): all of it
here, so that a change of Rasa's schema is met in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

from store.engine import create_engine

_DELETE_SENDERS = text("DELETE FROM events WHERE sender_id IN :ids").bindparams(bindparam("ids", expanding=True))
_DELETE_OLDER = text("DELETE FROM events WHERE timestamp < :cutoff")
_TRANSCRIPTS = text(
    "SELECT sender_id, type_name, timestamp, data FROM events"
    " WHERE sender_id IN :ids AND type_name IN ('user', 'bot') ORDER BY id"
).bindparams(bindparam("ids", expanding=True))

#: One row of a transcript: sender id, ``user`` or ``bot``, epoch seconds, the event's JSON.
EventRow = tuple[str, str, float | None, str | None]


class TrackerEvents:
    """The tracker store's ``events`` table; its engine is created on first use and closed by ``aclose``.

    Errors are SQLAlchemy's (``SQLAlchemyError``): the callers decide whether to retry.
    """

    def __init__(self, url: str, pool_size: int = 1, max_overflow: int = 1) -> None:
        self._url = url
        self._pool = (pool_size, max_overflow)
        self._engine: AsyncEngine | None = None

    def _connect(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = create_engine(self._url, *self._pool)
        return self._engine

    async def delete_conversations(self, sender_ids: Sequence[str]) -> int:
        """Delete every event of these conversations; return how many rows went."""
        if not sender_ids:
            return 0
        async with self._connect().begin() as conn:
            result = await conn.execute(_DELETE_SENDERS, {"ids": list(sender_ids)})
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_older_than(self, cutoff: dt.datetime) -> int:
        async with self._connect().begin() as conn:
            result = await conn.execute(_DELETE_OLDER, {"cutoff": cutoff.timestamp()})
        return int(getattr(result, "rowcount", 0) or 0)

    async def transcripts(self, sender_ids: Sequence[str]) -> list[EventRow]:
        """The ``user`` and ``bot`` events of these conversations, in order."""
        if not sender_ids:
            return []
        async with self._connect().connect() as conn:
            rows = (await conn.execute(_TRANSCRIPTS, {"ids": list(sender_ids)})).all()
        return [(str(r[0]), str(r[1]), r[2], r[3]) for r in rows]

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
