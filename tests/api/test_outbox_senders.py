"""Two front doors share one outbox: each e-mail is sent once (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import anyio
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from server.notify import OutboxSender
from server.settings import Settings
from store.base import utcnow
from store.engine import create_engine, session_factory, transaction
from store.migrate import upgrade
from store.models import NotificationState, OutboxMail, Ticket
from tests.api.test_outbox import Inbox, free_port

MAILS = 30


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


async def test_two_senders_send_each_mail_once(any_database: str, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    await anyio.to_thread.run_sync(upgrade, any_database)
    settings = Settings(database_url=any_database, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    engines = [create_engine(any_database), create_engine(any_database)]  # two processes: two pools
    try:
        async with transaction(session_factory(engines[0])) as db:
            for n in range(MAILS):
                ticket = Ticket(
                    reference=f"TK-{n:010d}",
                    idempotency_key=f"k{n}",
                    request_type="reclamation",
                    service="relations_usagers",
                    description="d",
                    contact="jo@example.org",
                    consent_at=utcnow(),
                    channel="api",
                    session_id="s",
                )
                db.add(ticket)
                await db.flush()
                db.add(OutboxMail(ticket_id=ticket.id, to="ru@hopital.example", subject=f"TK-{n:010d}", body="b"))
        senders = [OutboxSender(session_factory(engine), settings) for engine in engines]
        # Both wake at once, twice (a second round finds nothing left to send).
        rounds = [await asyncio.gather(*(sender.run_once() for sender in senders)) for _ in range(2)]
        subjects = Counter(str(message["Subject"]) for _, message in inbox.mails)
        assert sum(rounds[0]) == MAILS and sum(rounds[1]) == 0
        assert len(subjects) == MAILS and set(subjects.values()) == {1}
        async with session_factory(engines[0])() as db:
            mails = (await db.execute(select(OutboxMail))).scalars().all()
        assert {m.state for m in mails} == {NotificationState.ENVOYEE}
        assert {m.claimed_by for m in mails} == {None} and {m.attempts for m in mails} == {1}
    finally:
        for engine in engines:
            await engine.dispose()
