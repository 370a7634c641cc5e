"""Retention: delete what is kept longer than needed.  ``make purge`` (``python -m server.purge``),
and once a day in the server (``RetentionJob``, a task of the app's lifespan).

* Conversations, after ``RETENTION_DAYS`` (30):
  - the engine's tracker store (``TRACKER_URL``, table ``events``): events whose
    ``timestamp`` (epoch seconds) is older.  Rasa reads a conversation from its
    latest session start (a session expires after an hour of silence), so
    older events are never part of a conversation still going on;
  - the front door's rows: chat sessions last seen before then, with their
    ratings, unanswered messages and undelivered messages; and any rating,
    unanswered or undelivered message created before then;
  - e-mails already sent (the outbox keeps a copy of the ticket) sent before then.
* Closed tickets (status ``clos``), ``TICKET_RETENTION_DAYS`` (365) after their
  closing, with their notes and e-mails.  Open tickets stay.
* Registrations stay until the person withdraws (or staff erase them on request).
* The statistics (``turn_log``: topic, channel, no text) and the audit log stay.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.settings import Settings, get_settings
from store.base import utcnow
from store.engine import create_engine, session_factory, transaction
from store.erasure import erase
from store.models import (
    ChatSession,
    Feedback,
    NotificationState,
    OutboxMail,
    Ticket,
    TicketStatus,
    Unanswered,
    UndeliveredMessage,
)
from store.tracker_events import TrackerEvents

logger = logging.getLogger(__name__)

#: Tables the purge empties of what is past retention (with ``inbound_messages``, purged by its channel's
#: worker after ``server.channels.inbound.KEEP_DONE``).  See ``store.erasure.KEPT`` for what stays, and why.
PURGED_TABLES = frozenset(
    {"chat_sessions", "feedback", "unanswered", "undelivered_messages", "outbox", "tickets", "ticket_notes"}
)


@dataclass
class PurgeReport:
    tracker_events: int = 0
    chat_sessions: int = 0
    feedback: int = 0
    unanswered: int = 0
    undelivered: int = 0
    sent_mails: int = 0
    tickets: int = 0
    #: False when the tracker store could not be reached (retried at the next run).
    tracker_done: bool = True


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_front_door(
    db: AsyncSession, cutoff: dt.datetime, ticket_cutoff: dt.datetime, report: PurgeReport
) -> None:
    """The front door's rows (one transaction, the caller's).

    The conversations last seen before ``cutoff`` are erased whole (``store.erasure.erase``,
    their transcripts going by age from the tracker store); then what is older than
    ``cutoff`` in the conversations still going on.
    """
    old_sessions = select(ChatSession.id).where(ChatSession.last_seen_at < cutoff)
    erased = await erase(db, old_sessions, queue_transcripts=False)
    report.chat_sessions = erased.get("chat_sessions", 0)
    report.feedback = erased.get("feedback", 0) + _count(
        await db.execute(delete(Feedback).where(Feedback.created_at < cutoff))
    )
    report.unanswered = erased.get("unanswered", 0) + _count(
        await db.execute(delete(Unanswered).where(Unanswered.created_at < cutoff))
    )
    report.undelivered = erased.get("undelivered_messages", 0) + _count(
        await db.execute(delete(UndeliveredMessage).where(UndeliveredMessage.received_at < cutoff))
    )
    report.sent_mails = _count(
        await db.execute(
            delete(OutboxMail).where(OutboxMail.state == NotificationState.ENVOYEE, OutboxMail.sent_at < cutoff)
        )
    )
    old_tickets = (
        (
            await db.execute(
                select(Ticket.id).where(Ticket.status == TicketStatus.CLOS, Ticket.closed_at < ticket_cutoff)
            )
        )
        .scalars()
        .all()
    )
    report.tickets = (await erase(db, [], ticket_ids=old_tickets)).get("tickets", 0)


async def purge(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    now: dt.datetime | None = None,
    events: TrackerEvents | None = None,
) -> PurgeReport:
    """Apply the retention periods once; see the module's docstring.

    ``events``: the process's tracker store connection; without it, one is opened for this run.
    """
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=settings.retention_days)
    ticket_cutoff = now - dt.timedelta(days=settings.ticket_retention_days)
    report = PurgeReport()
    tracker = events or TrackerEvents(settings.tracker_url, 1, 0)
    try:
        report.tracker_events = await tracker.delete_older_than(cutoff)
    except SQLAlchemyError as exc:  # not created yet (no conversation), or unreachable
        report.tracker_done = False
        logger.warning("purge: tracker store not purged (%s)", type(exc).__name__)
    finally:
        if events is None:
            await tracker.aclose()
    async with transaction(sessions) as db:
        await purge_front_door(db, cutoff, ticket_cutoff, report)
    return report


def _summary(report: PurgeReport) -> str:
    return ", ".join(f"{name} {value}" for name, value in asdict(report).items())


class RetentionJob:
    """``purge`` every ``RETENTION_INTERVAL_H`` hours, the first time ``RETENTION_START_DELAY_S`` after the start."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], dt.datetime] = utcnow,
        events: TrackerEvents | None = None,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._clock = clock
        self._events = events
        self.runs = 0

    async def run_once(self) -> PurgeReport | None:
        try:
            report = await purge(self._settings, self._sessions, self._clock(), self._events)
        except SQLAlchemyError as exc:
            logger.error("purge: not done (%s), retried at the next run", type(exc).__name__)
            return None
        finally:
            self.runs += 1
        logger.info("purge: %s", _summary(report))
        return report

    async def run_forever(self) -> None:
        interval_s = self._settings.retention_interval_h * 3600
        if interval_s <= 0:
            return
        await asyncio.sleep(self._settings.retention_start_delay_s)
        while True:
            await self.run_once()
            await asyncio.sleep(interval_s)


async def _main() -> None:
    settings = get_settings()
    engine = create_engine(settings.database_url)
    try:
        report = await purge(settings, session_factory(engine))
    finally:
        await engine.dispose()
    print(f"purge ({settings.retention_days} days; closed tickets {settings.ticket_retention_days} days): ")
    print(_summary(report))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(_main())
