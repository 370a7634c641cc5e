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

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.access_schemas import (
    AccessExport,
    ConversationExport,
    FeedbackExport,
    TranscriptLine,
    UnansweredExport,
)
from store.engine import create_engine
from store.models import (
    ChatSession,
    ErasureRequest,
    Feedback,
    OutboxMail,
    Registration,
    Ticket,
    TicketNote,
    Unanswered,
    UndeliveredMessage,
    WithdrawalNote,
)
from store.registrations import email_key

logger = logging.getLogger(__name__)

_TRANSCRIPTS = text(
    "SELECT sender_id, type_name, timestamp, data FROM events"
    " WHERE sender_id IN :ids AND type_name IN ('user', 'bot') ORDER BY id"
).bindparams(bindparam("ids", expanding=True))


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


async def transcripts(tracker_url: str, session_ids: list[str]) -> dict[str, list[TranscriptLine]]:
    """The user's and the bot's messages of each conversation, in order (empty when the store is unreachable)."""
    found: dict[str, list[TranscriptLine]] = {sid: [] for sid in session_ids}
    if not session_ids:
        return found
    engine = create_engine(tracker_url, 1, 0)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(_TRANSCRIPTS, {"ids": session_ids})).all()
    except SQLAlchemyError as exc:
        logger.error("access: tracker store unreachable (%s)", type(exc).__name__)
        raise
    finally:
        await engine.dispose()
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


async def export(db: AsyncSession, tracker_url: str, email: str, held: Held) -> AccessExport:
    from server.api.routes.admin import registration_row, ticket_detail

    lines = await transcripts(tracker_url, held.session_ids)
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
    sessions = held.session_ids
    if held.registration is not None:
        await db.delete(held.registration)
        db.add(WithdrawalNote(withdrawn_on=today))
    ticket_ids = [t.id for t in held.tickets]
    if ticket_ids:
        await db.execute(delete(TicketNote).where(TicketNote.ticket_id.in_(ticket_ids)))
        await db.execute(delete(OutboxMail).where(OutboxMail.ticket_id.in_(ticket_ids)))
        await db.execute(delete(Ticket).where(Ticket.id.in_(ticket_ids)))
    if sessions:
        await db.execute(delete(Feedback).where(Feedback.session_id.in_(sessions)))
        await db.execute(delete(Unanswered).where(Unanswered.session_id.in_(sessions)))
        await db.execute(delete(UndeliveredMessage).where(UndeliveredMessage.session_id.in_(sessions)))
        await db.execute(delete(ChatSession).where(ChatSession.id.in_(sessions)))
        db.add(ErasureRequest(sender_ids=sorted(sessions)))
    await db.flush()
