"""Claiming the outbox's due mails: each is sent by one sender, however many front doors run.

A sender claims up to ``limit`` due mails in one ``UPDATE``: it writes a claim id and
a lease (``claimed_until``) on rows that nobody holds, or whose lease ran out (a
sender that died).  On PostgreSQL the candidate rows are selected ``FOR UPDATE
SKIP LOCKED`` (two senders never wait for each other nor take the same row), and
the claim condition is checked again on the row the ``UPDATE`` locks.  SQLite
has one writer at a time: the ``UPDATE`` is atomic.  The sender then reads back
the rows carrying its claim id; recording the result releases the claim.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.base import utcnow
from store.engine import transaction
from store.models import NotificationState, OutboxMail


def _claimable(now: dt.datetime) -> list[ColumnElement[bool]]:
    return [
        OutboxMail.state != NotificationState.ENVOYEE,
        OutboxMail.next_attempt_at <= now,
        or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now),
    ]


async def claim_due(
    sessions: async_sessionmaker[AsyncSession], sender: str, lease: dt.timedelta, limit: int = 50
) -> Sequence[OutboxMail]:
    """Claim the due mails nobody holds for ``sender`` (one ``UPDATE``); return them, oldest first."""
    now = utcnow()
    claim = f"{sender[:40]}/{secrets.token_hex(8)}"  # this claim only: a read-back finds exactly its rows
    candidates = (
        select(OutboxMail.id)
        .where(*_claimable(now))
        .order_by(OutboxMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite renders nothing (one writer at a time)
    )
    async with transaction(sessions) as db:
        await db.execute(
            update(OutboxMail)
            .where(OutboxMail.id.in_(candidates.scalar_subquery()), *_claimable(now))
            .values(claimed_by=claim, claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
    async with sessions() as db:
        query = select(OutboxMail).where(OutboxMail.claimed_by == claim).order_by(OutboxMail.id)
        return (await db.execute(query)).scalars().all()


def release(mail: OutboxMail) -> None:
    """Clear the claim (with the result of the attempt, in the same transaction)."""
    mail.claimed_by = None
    mail.claimed_until = None
