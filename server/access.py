"""Right of access and right to erasure (RGPD art. 15 and 17) for one e-mail address.

What the front door holds about a person, found from their e-mail:

* their registration (``registrations.email_key``) and the conversations it lists
  (``session_ids``: where it was created or updated);
* the tickets whose contact is that address, and each ticket's conversation;
* the transcripts of those conversations, read from the engine's tracker store
  (``events`` rows of type ``user`` and ``bot``: their ``data`` JSON holds the ``text``),
  and the ratings, unanswered and undelivered messages of those conversations.

``export`` gathers them (``GET /admin/api/acces``); ``erase`` deletes them
(``POST /admin/api/effacement``): the registration (a dated withdrawal note
remains, as for a withdrawal), the tickets with their notes and e-mails, the
conversations' rows, and queues the transcripts' erasure from the tracker store
(``erasure_requests``, run by ``TrackerEraser`` once committed).  Both are audited
by the routes, without the address (the audit log cannot be erased).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.access_schemas import (
    AccessExport,
    ConversationExport,
    FeedbackExport,
    TranscriptLine,
    UnansweredExport,
)
from server.backoffice import registration_row, ticket_detail
from store import erasure
from store.models import (
    Feedback,
    Registration,
    Ticket,
    Unanswered,
    UndeliveredMessage,
)
from store.registrations import email_key
from store.tracker_events import TrackerEvents

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Held:
    registration: Registration | None
    tickets: list[Ticket]
    session_ids: list[str]


async def find(db: AsyncSession, email: str) -> Held:
    key = email_key(email)
    registration = (await db.execute(select(Registration).where(Registration.email_key == key))).scalar_one_or_none()
    tickets = list(
        (await db.execute(select(Ticket).where(func.lower(func.trim(Ticket.contact)) == key).order_by(Ticket.id)))
        .scalars()
        .all()
    )
    sessions = dict.fromkeys([*(registration.session_ids if registration else []), *(t.session_id for t in tickets)])
    return Held(registration, tickets, [s for s in sessions if s])


async def transcripts(events: TrackerEvents, session_ids: list[str]) -> dict[str, list[TranscriptLine]]:
    """The user's and the bot's messages of each conversation, in order (``SQLAlchemyError`` when unreachable)."""
    found: dict[str, list[TranscriptLine]] = {sid: [] for sid in session_ids}
    try:
        rows = await events.transcripts(session_ids)
    except SQLAlchemyError as exc:
        logger.error("access: tracker store unreachable (%s)", type(exc).__name__)
        raise
    for sender_id, type_name, timestamp, data in rows:
        try:
            said = json.loads(data) if isinstance(data, str) else {}
        except ValueError:
            said = {}
        line_text = said.get("text") if isinstance(said, dict) else None
        if isinstance(line_text, str) and line_text:
            at = dt.datetime.fromtimestamp(float(timestamp), dt.UTC) if timestamp is not None else None
            found[sender_id].append(TranscriptLine(at=at, speaker=type_name, text=line_text))
    return found


async def export(db: AsyncSession, events: TrackerEvents, email: str, held: Held) -> AccessExport:
    lines = await transcripts(events, held.session_ids)
    feedback = (
        (await db.execute(select(Feedback).where(Feedback.session_id.in_(held.session_ids)).order_by(Feedback.id)))
        .scalars()
        .all()
    )
    unanswered = (
        (
            await db.execute(
                select(Unanswered).where(Unanswered.session_id.in_(held.session_ids)).order_by(Unanswered.id)
            )
        )
        .scalars()
        .all()
    )
    undelivered = (
        (
            await db.execute(
                select(UndeliveredMessage)
                .where(UndeliveredMessage.session_id.in_(held.session_ids))
                .order_by(UndeliveredMessage.id)
            )
        )
        .scalars()
        .all()
    )
    return AccessExport(
        email=email,
        registration=registration_row(held.registration) if held.registration else None,
        tickets=[await ticket_detail(db, t) for t in held.tickets],
        conversations=[ConversationExport(session_id=sid, messages=lines[sid]) for sid in held.session_ids],
        feedback=[
            FeedbackExport(
                session_id=f.session_id,
                topic=f.topic,
                useful=f.useful,
                message=f.message,
                comment=f.comment,
                created_at=f.created_at,
            )
            for f in feedback
        ],
        unanswered=[
            UnansweredExport(session_id=u.session_id, kind=u.kind, text=u.text, created_at=u.created_at)
            for u in unanswered
        ]
        + [
            UnansweredExport(session_id=u.session_id, kind="non_transmis", text=u.text, created_at=u.received_at)
            for u in undelivered
        ],
    )


async def erase(db: AsyncSession, held: Held, today: dt.date) -> None:
    """Delete what ``held`` lists, and queue its conversations' transcripts for erasure (same transaction)."""
    await erasure.erase(
        db, held.session_ids, registration=held.registration, ticket_ids=[t.id for t in held.tickets], today=today
    )
