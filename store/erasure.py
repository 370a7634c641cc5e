"""Erasing conversations and people: one function for every caller.

``erase`` is used by the withdrawal of a registration (action server), the
erasure of a person on request (back office), STOP on a messaging channel and
« oublier cette conversation » (front door), and the retention purge.  It deletes,
in the caller's transaction:

* every row that names one of the conversations (``CONVERSATION_COLUMNS``): ratings,
  unanswered and undelivered messages, the messaging channel's finished messages
  (one still waiting is answered first, and cleared then), and the chat sessions;
  but for ``keep_session``, the conversation still going on (a withdrawal's), its
  session and its finished messages stay (they hold no text, only the keyed hash
  that de-duplicates the platform's retries); its other rows go;
* optionally a registration (a dated ``WithdrawalNote`` without personal data
  remains) and tickets with their notes and e-mails;
* and queues the conversations' transcripts for deletion from the engine's
  tracker store (``erasure_requests``), which :func:`run_pending` carries out
  once the engine has saved the turn (the front door runs it).

``KEPT`` names the tables that hold a conversation id yet are not erased, and why.
A test lists every table with a session, e-mail or sender column from the
metadata and fails when one is in neither list nor covered by the retention purge.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.engine import transaction
from store.models import (
    ChatSession,
    ErasureRequest,
    Feedback,
    InboundMessage,
    InboundState,
    OutboxMail,
    Registration,
    Ticket,
    TicketNote,
    Unanswered,
    UndeliveredMessage,
    WithdrawalNote,
)
from store.tracker_events import TrackerEvents

logger = logging.getLogger(__name__)

#: The columns naming a conversation whose rows ``erase`` deletes (table name → column).
CONVERSATION_COLUMNS: dict[str, Any] = {
    "feedback": Feedback.session_id,
    "unanswered": Unanswered.session_id,
    "undelivered_messages": UndeliveredMessage.session_id,
    "inbound_messages": InboundMessage.session_id,
    "chat_sessions": ChatSession.id,
}
#: Tables erased with a person (``registration``, ``ticket_ids``).
PERSON_TABLES = frozenset({"registrations", "tickets", "ticket_notes", "outbox"})
#: Tables that name a conversation or a person yet stay, and why.
KEPT = {
    "turn_log": "statistics: the topic and channel of each turn, never its text",
    "erasure_requests": "the queue of erasures itself, emptied by run_pending",
}
#: Messages of a messaging channel that are finished: a waiting one is answered (then cleared) first.
_FINISHED = (InboundState.DONE, InboundState.FAILED)

Sessions = Sequence[str] | Select[Any]


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def erase(
    db: AsyncSession,
    sessions: Sessions,
    *,
    registration: Registration | None = None,
    ticket_ids: Sequence[int] = (),
    today: dt.date | None = None,
    keep_session: str | None = None,
    queue_transcripts: bool = True,
) -> dict[str, int]:
    """Delete what the module's docstring lists; return the rows deleted per table.

    ``sessions`` is a list of conversation ids or a ``select`` of them (the purge's
    old sessions).  ``queue_transcripts=False`` when the caller deletes the tracker
    store's events itself (the purge, by age).
    """
    counts: dict[str, int] = {}
    if registration is not None:
        await db.delete(registration)
        db.add(WithdrawalNote(withdrawn_on=today or dt.date.today()))
        counts["registrations"] = 1
    if ticket_ids:
        ids = list(ticket_ids)
        counts["ticket_notes"] = _count(await db.execute(delete(TicketNote).where(TicketNote.ticket_id.in_(ids))))
        counts["outbox"] = _count(await db.execute(delete(OutboxMail).where(OutboxMail.ticket_id.in_(ids))))
        counts["tickets"] = _count(await db.execute(delete(Ticket).where(Ticket.id.in_(ids))))
    listed = None if isinstance(sessions, Select) else sorted(set(sessions))
    if listed == []:
        await db.flush()
        return counts
    targets: Any = sessions if listed is None else listed
    for table, column in CONVERSATION_COLUMNS.items():
        statement = delete(column.class_).where(column.in_(targets))
        if table == "inbound_messages":
            statement = statement.where(InboundMessage.state.in_(_FINISHED))
        if table in ("chat_sessions", "inbound_messages") and keep_session is not None:
            statement = statement.where(column != keep_session)
        counts[table] = _count(await db.execute(statement))
    if queue_transcripts and listed:
        db.add(ErasureRequest(sender_ids=listed))
    await db.flush()
    return counts


async def pending_erasures(db: AsyncSession) -> Sequence[ErasureRequest]:
    return (await db.execute(select(ErasureRequest).order_by(ErasureRequest.id))).scalars().all()


async def run_pending(sessions: async_sessionmaker[AsyncSession], events: TrackerEvents) -> int:
    """Erase every queued conversation from the tracker store; return how many were erased.

    A failure (the tracker store unreachable) leaves the queue as it was: retried
    after the next withdrawal or erasure, or at the next start.
    """
    try:
        async with transaction(sessions) as db:
            requests = list(await pending_erasures(db))
            if not requests:
                return 0
            senders = sorted({sender for request in requests for sender in request.sender_ids})
            await events.delete_conversations(senders)
            # What reached the front door while the withdrawal ran (a 503 meanwhile).
            await db.execute(delete(UndeliveredMessage).where(UndeliveredMessage.session_id.in_(senders)))
            for request in requests:
                await db.delete(request)
            return len(senders)
    except SQLAlchemyError as exc:
        logger.error("erasure: not done yet (%s); retried after the next withdrawal or restart", type(exc).__name__)
        return 0
