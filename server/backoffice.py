"""The back office's queries and row mapping: every read and change of /admin/api, without HTTP.

The routes (``server/api/routes/admin*.py``) check the role, call these, and
write the audit log.  Rows become API models with ``model_validate`` on the ORM
objects (``from_attributes``).  The statistics are ``GROUP BY`` queries: the
database counts, whatever the size of ``turn_log``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Float, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.admin_schemas import (
    AuditRow,
    Count,
    Note,
    OutboxRow,
    RegistrationRow,
    Stats,
    TicketDetail,
    TicketRow,
    UnansweredRow,
)
from store.models import (
    AuditEntry,
    OutboxMail,
    Registration,
    RegistrationStatus,
    Ticket,
    TicketNote,
    TicketStatus,
    TurnLog,
    Unanswered,
)

#: Rows listed at most by one request.
TICKETS_LIMIT = 500
UNANSWERED_LIMIT = 500
OUTBOX_LIMIT = 200
AUDIT_LIMIT = 1000


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


# --- tickets ---------------------------------------------------------------------------------


def ticket_row(ticket: Ticket) -> TicketRow:
    return TicketRow.model_validate(ticket)


async def list_tickets(
    db: AsyncSession,
    service: str | None = None,
    status: TicketStatus | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[TicketRow]:
    query = select(Ticket).order_by(Ticket.created_at.desc())
    if service:
        query = query.where(Ticket.service == service)
    if status:
        query = query.where(Ticket.status == status)
    if since:
        query = query.where(Ticket.created_at >= _day_start(since))
    if until:
        query = query.where(Ticket.created_at < _day_start(until + dt.timedelta(days=1)))
    return [ticket_row(t) for t in (await db.execute(query.limit(TICKETS_LIMIT))).scalars()]


async def find_ticket(db: AsyncSession, reference: str) -> Ticket | None:
    return (await db.execute(select(Ticket).where(Ticket.reference == reference))).scalar_one_or_none()


async def ticket_detail(db: AsyncSession, ticket: Ticket) -> TicketDetail:
    notes = (
        await db.execute(select(TicketNote).where(TicketNote.ticket_id == ticket.id).order_by(TicketNote.id))
    ).scalars()
    return TicketDetail(
        **ticket_row(ticket).model_dump(),
        description=ticket.description,
        contact=ticket.contact,
        transcript=ticket.transcript,
        notes=[Note.model_validate(n) for n in notes],
    )


# --- registrations ---------------------------------------------------------------------------


def registration_row(row: Registration) -> RegistrationRow:
    return RegistrationRow.model_validate(row)


async def list_registrations(
    db: AsyncSession, status: RegistrationStatus | None = None, profil: str | None = None
) -> list[RegistrationRow]:
    query = select(Registration).order_by(Registration.created_at.desc())
    if status:
        query = query.where(Registration.status == status)
    if profil:
        query = query.where(Registration.profil == profil)
    return [registration_row(r) for r in (await db.execute(query)).scalars()]


async def find_registration(db: AsyncSession, reference: str) -> Registration | None:
    return (await db.execute(select(Registration).where(Registration.reference == reference))).scalar_one_or_none()


# --- unanswered questions, outbox, audit -----------------------------------------------------


def unanswered_row(row: Unanswered) -> UnansweredRow:
    return UnansweredRow.model_validate(row)


async def list_unanswered(db: AsyncSession, handled: bool | None = None) -> list[UnansweredRow]:
    query = select(Unanswered).order_by(Unanswered.created_at.desc())
    if handled is not None:
        query = query.where(Unanswered.handled_at.is_not(None) if handled else Unanswered.handled_at.is_(None))
    return [unanswered_row(r) for r in (await db.execute(query.limit(UNANSWERED_LIMIT))).scalars()]


async def list_outbox(db: AsyncSession) -> list[OutboxRow]:
    rows = await db.execute(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(OUTBOX_LIMIT))
    return [OutboxRow.model_validate(r) for r in rows.scalars()]


async def list_audit(db: AsyncSession) -> list[AuditRow]:
    rows = await db.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_LIMIT))
    return [AuditRow.model_validate(r) for r in rows.scalars()]


# --- statistics ------------------------------------------------------------------------------


def _utc_day(db: AsyncSession, column: Any) -> ColumnElement[str]:
    """``YYYY-MM-DD`` of a stored UTC time, computed by the database."""
    if db.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.date(column)  # SQLite stores UTC times as text


def _hours_between(db: AsyncSession, start: Any, end: Any) -> ColumnElement[Any]:
    if db.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", end - start), Float) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


async def _counts(db: AsyncSession, key: Any, *where: ColumnElement[bool]) -> list[Count]:
    query = select(key, func.count()).where(*where).group_by(key).order_by(key)
    return [Count(key=str(k), count=int(n)) for k, n in (await db.execute(query)).all() if k is not None]


def _iso_week(day: str) -> str:
    year, week, _ = dt.date.fromisoformat(day).isocalendar()
    return f"{year}-S{week:02d}"


def _weeks(days: Sequence[Count]) -> list[Count]:
    """Daily counts folded into ISO weeks (``2026-S48``): the database groups by day, at most a few hundred rows."""
    weeks: Counter[str] = Counter()
    for day in days:
        weeks[_iso_week(day.key)] += day.count
    return [Count(key=key, count=n) for key, n in sorted(weeks.items())]


async def stats(db: AsyncSession) -> Stats:
    turns, fallbacks = (
        await db.execute(select(func.count(), func.coalesce(func.sum(case((TurnLog.fallback, 1), else_=0)), 0)))
    ).one()
    mean_hours = (
        await db.execute(
            select(func.avg(_hours_between(db, Ticket.created_at, Ticket.closed_at))).where(
                Ticket.closed_at.is_not(None)
            )
        )
    ).scalar_one()
    return Stats(
        questions_per_topic=await _counts(db, TurnLog.topic, TurnLog.topic.is_not(None)),
        questions_per_day=await _counts(db, _utc_day(db, TurnLog.created_at)),
        questions_per_channel=await _counts(db, TurnLog.channel),
        fallback_rate=(float(fallbacks) / int(turns)) if turns else 0.0,
        registrations_per_week=_weeks(await _counts(db, _utc_day(db, Registration.created_at))),
        tickets_per_service=await _counts(db, Ticket.service),
        mean_hours_to_close=float(mean_hours) if mean_hours is not None else None,
    )
