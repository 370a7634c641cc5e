"""Tickets' e-mails reach a real local SMTP server (aiosmtpd); a failed send is retried, never lost."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import anyio
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from server.notify import OutboxSender, backoff
from server.settings import Settings
from store.base import utcnow
from store.engine import create_engine, session_factory, transaction
from store.migrate import upgrade
from store.models import NotificationState, OutboxMail, Ticket


class Inbox:
    def __init__(self) -> None:
        self.mails: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls this hook
        self.mails.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[tuple[Inbox, Controller]]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    yield handler, controller
    if getattr(controller, "_thread", None) is not None:
        controller.stop()


async def setup(tmp_path: Path, smtp_port: int) -> tuple[Any, Any, OutboxSender]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    await anyio.to_thread.run_sync(upgrade, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    settings = Settings(
        database_url=url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_starttls=False,
        smtp_retry_base_s=60,
        smtp_attempts_before_failure=2,
    )
    async with transaction(sessions) as db:
        ticket = Ticket(
            reference="TK-0000000001",
            idempotency_key="k",
            request_type="reclamation",
            service="relations_usagers",
            description="Attente de neuf heures.",
            contact="jo@example.org",
            consent_at=utcnow(),
            channel="api",
            session_id="s",
        )
        db.add(ticket)
        await db.flush()
        db.add(
            OutboxMail(
                ticket_id=ticket.id,
                to="relations-usagers@hopital.example",
                subject="TK-0000000001",
                body="Attente de neuf heures.",
            )
        )
    return engine, sessions, OutboxSender(sessions, settings)


async def states(sessions: Any) -> tuple[Any, Any]:
    async with sessions() as db:
        mail = (await db.execute(select(OutboxMail))).scalar_one()
        ticket = (await db.execute(select(Ticket))).scalar_one()
    return mail, ticket


async def test_a_ticket_mail_is_received(tmp_path: Path, smtp_port: int, inbox: tuple[Inbox, Controller]) -> None:
    handler, controller = inbox
    controller.start()
    engine, sessions, sender = await setup(tmp_path, smtp_port)
    assert await sender.run_once() == 1
    [(recipients, mail)] = handler.mails
    assert recipients == ["relations-usagers@hopital.example"]
    assert mail["Subject"] == "TK-0000000001" and "Attente de neuf heures." in mail.get_payload(decode=True).decode()
    row, ticket = await states(sessions)
    assert row.state == ticket.notification == NotificationState.ENVOYEE and row.sent_at is not None
    assert await sender.run_once() == 0  # sent once only
    await engine.dispose()


async def test_an_outage_is_retried_with_back_off_until_it_succeeds(
    tmp_path: Path, smtp_port: int, inbox: tuple[Inbox, Controller]
) -> None:
    handler, controller = inbox
    engine, sessions, sender = await setup(tmp_path, smtp_port)
    assert await sender.run_once() == 0  # nothing listens: refused
    row, ticket = await states(sessions)
    assert (row.state, row.attempts, row.last_error) == (NotificationState.EN_ATTENTE, 1, "SMTPConnectError")
    assert ticket.notification == NotificationState.EN_ATTENTE
    assert await sender.run_once() == 0  # not due yet: no new attempt
    async with transaction(sessions) as db:
        (await db.execute(select(OutboxMail))).scalar_one().next_attempt_at = utcnow()
    await sender.run_once()
    row, ticket = await states(sessions)
    assert row.attempts == 2 and row.state == ticket.notification == NotificationState.ECHEC  # shown, still retried
    controller.start()  # the server is back
    async with transaction(sessions) as db:
        (await db.execute(select(OutboxMail))).scalar_one().next_attempt_at = utcnow()
    assert await sender.run_once() == 1
    row, ticket = await states(sessions)
    assert row.state == ticket.notification == NotificationState.ENVOYEE and len(handler.mails) == 1
    await engine.dispose()


def test_back_off_doubles_and_is_capped() -> None:
    assert [backoff(n, 30, 3600).total_seconds() for n in (1, 2, 3, 10)] == [30, 60, 120, 3600]
    assert isinstance(backoff(1, 30, 3600), dt.timedelta)


async def test_without_an_smtp_server_mails_wait_in_the_outbox(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    await anyio.to_thread.run_sync(upgrade, url)
    engine = create_engine(url)
    sender = OutboxSender(session_factory(engine), Settings(database_url=url))
    assert not sender.enabled and await sender.run_once() == 0
    await engine.dispose()
