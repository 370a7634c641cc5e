"""Every table that names a conversation or a person is erased, purged, or kept for a stated reason.

The list comes from the metadata (any column whose name speaks of a session, an
e-mail, a sender, a contact or a recipient), so a new table fails here until the
erasure (``store.erasure``) or the retention purge (``server.purge``) covers it.
Then ``erase`` runs on SQLite and on PostgreSQL and must leave nothing of the
erased conversation in any of the tables it claims.
"""

from __future__ import annotations

import datetime as dt
import re

import anyio
from sqlalchemy import func, select

from server.purge import PURGED_TABLES
from store.base import Base
from store.engine import create_engine, session_factory, transaction
from store.erasure import CONVERSATION_COLUMNS, KEPT, PERSON_TABLES, erase
from store.migrate import upgrade
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
    TurnLog,
    Unanswered,
    UndeliveredMessage,
    WithdrawalNote,
)

PERSONAL = re.compile(r"session|e_?mail|sender|contact|recipient")
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def personal_tables() -> set[str]:
    return {
        table.name
        for table in Base.metadata.sorted_tables
        if any(PERSONAL.search(column.name) for column in table.columns)
    }


def test_the_metadata_finds_the_tables_we_know() -> None:
    """The detection itself: it must see the tables that hold people's data today."""
    assert {"feedback", "registrations", "tickets", "unanswered", "inbound_messages", "turn_log"} <= personal_tables()


def test_every_personal_table_is_erased_purged_or_kept_for_a_reason() -> None:
    covered = set(CONVERSATION_COLUMNS) | PERSON_TABLES | PURGED_TABLES | set(KEPT)
    assert personal_tables() - covered == set()
    assert all(reason.strip() for reason in KEPT.values())
    assert set(KEPT).isdisjoint(set(CONVERSATION_COLUMNS) | PERSON_TABLES)


def _rows_for(session_id: str, email: str) -> list[object]:
    return [
        ChatSession(id=session_id, offered_payloads=[]),
        Feedback(session_id=session_id, topic="t", useful=False, message="m"),
        Unanswered(session_id=session_id, kind="fallback", text="mon nom est Zoé"),
        UndeliveredMessage(session_id=session_id, channel="api", text="t", component="engine"),
        InboundMessage(
            channel="whatsapp",
            message_key=f"k-{session_id}",
            session_id=session_id,
            kind="text",
            state=InboundState.DONE,
        ),
        InboundMessage(channel="whatsapp", message_key=f"w-{session_id}", session_id=session_id, kind="text"),
        TurnLog(session_id=session_id, channel="api", topic="t"),
        Registration(
            reference=f"PP-{session_id[:10].upper():0<10}",
            idempotency_key=f"i-{session_id}",
            prenom="Z",
            nom="L",
            email=email,
            email_key=email,
            profil="patient",
            domaines=[],
            consent_at=NOW,
            consent_notice_version="v1",
            channel="api",
            session_ids=[session_id],
        ),
        Ticket(
            reference=f"TK-{session_id[:10].upper():0<10}",
            idempotency_key=f"t-{session_id}",
            request_type="question",
            service="cdu",
            description="d",
            contact=email,
            consent_at=NOW,
            channel="api",
            session_id=session_id,
        ),
    ]


async def _erase_one_of_two(url: str) -> dict[str, list[object]]:
    await anyio.to_thread.run_sync(upgrade, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with transaction(sessions) as db:
            for sid, email in (("erased-session", "zoe@example.org"), ("other-session", "ali@example.org")):
                for row in _rows_for(sid, email):
                    db.add(row)
                await db.flush()
            for ticket in (await db.execute(select(Ticket))).scalars():
                db.add(TicketNote(ticket_id=ticket.id, username="gina", text="note"))
                db.add(OutboxMail(ticket_id=ticket.id, to="cdu@hopital.example", subject="s", body="b"))
        async with transaction(sessions) as db:
            registration = (
                await db.execute(select(Registration).where(Registration.email_key == "zoe@example.org"))
            ).scalar_one()
            ticket = (await db.execute(select(Ticket).where(Ticket.contact == "zoe@example.org"))).scalar_one()
            await erase(db, ["erased-session"], registration=registration, ticket_ids=[ticket.id], today=NOW.date())
        left: dict[str, list[object]] = {}
        async with sessions() as db:
            for table, column in CONVERSATION_COLUMNS.items():
                query = select(column).order_by(column)
                if table == "inbound_messages":
                    query = query.where(InboundMessage.state != InboundState.PENDING)
                left[table] = list((await db.execute(query)).scalars())
            left["waiting inbound"] = list(
                (await db.execute(select(InboundMessage.session_id).where(InboundMessage.state == "pending"))).scalars()
            )
            left["registrations"] = list((await db.execute(select(Registration.email_key))).scalars())
            left["tickets"] = list((await db.execute(select(Ticket.contact))).scalars())
            left["ticket_notes"] = [(await db.execute(select(func.count(TicketNote.id)))).scalar_one()]
            left["outbox"] = [(await db.execute(select(func.count(OutboxMail.id)))).scalar_one()]
            left["turn_log"] = list((await db.execute(select(TurnLog.session_id).order_by(TurnLog.id))).scalars())
            left["erasure_requests"] = list((await db.execute(select(ErasureRequest.sender_ids))).scalars())
            left["withdrawal_notes"] = [(await db.execute(select(func.count(WithdrawalNote.id)))).scalar_one()]
        return left
    finally:
        await engine.dispose()


async def test_erase_leaves_nothing_of_the_conversation_where_it_claims_to(any_database: str) -> None:
    left = await _erase_one_of_two(any_database)
    for table in CONVERSATION_COLUMNS:
        assert "erased-session" not in left[table], table
        assert "other-session" in left[table], table
    # A message still waiting on a messaging channel is answered first, then cleared by its worker.
    assert left["waiting inbound"] == ["erased-session", "other-session"]
    assert left["registrations"] == ["ali@example.org"]
    assert left["tickets"] == ["ali@example.org"]
    assert (left["ticket_notes"], left["outbox"]) == ([1], [1])
    assert left["turn_log"] == ["erased-session", "other-session"]  # KEPT: statistics without text
    assert left["erasure_requests"] == [["erased-session"]]
    assert left["withdrawal_notes"] == [1]


async def test_a_withdrawal_keeps_the_conversation_going_on(tmp_path: object) -> None:
    """``keep_session``: its session row and its finished channel messages (no text, the retries' hash) stay."""
    url = f"sqlite:///{tmp_path}/app.db"
    await anyio.to_thread.run_sync(upgrade, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with transaction(sessions) as db:
            for sid in ("current", "older"):
                for row in _rows_for(sid, f"{sid}@example.org")[:6]:
                    db.add(row)
        async with transaction(sessions) as db:
            await erase(db, ["current", "older"], keep_session="current")
        async with sessions() as db:
            kept = {
                table: list((await db.execute(select(column))).scalars())
                for table, column in CONVERSATION_COLUMNS.items()
            }
    finally:
        await engine.dispose()
    assert kept["chat_sessions"] == ["current"]
    assert sorted(kept["inbound_messages"]) == ["current", "current", "older"]  # older: its waiting message only
    assert kept["feedback"] == kept["unanswered"] == kept["undelivered_messages"] == []
