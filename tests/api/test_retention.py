"""Retention (server/purge.py): what is older than its period is deleted, the rest is kept.

Each test seeds the application database and a tracker store (Rasa's ``events``
table: ``timestamp`` in epoch seconds) with rows on both sides of each limit,
purges (directly, through ``make purge``'s module, or from the server's own job)
and checks the invariant in the databases.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from server.engine_client import EngineClient
from server.main import create_app
from server.purge import PurgeReport, RetentionJob, purge
from server.settings import Settings
from store.engine import create_engine, session_factory, transaction
from store.migrate import upgrade
from store.models import (
    ChatSession,
    Feedback,
    NotificationState,
    OutboxMail,
    Registration,
    Ticket,
    TicketNote,
    TicketStatus,
    Unanswered,
    UndeliveredMessage,
)
from tests.api.conftest import FakeEngine
from tests.helpers import TOKEN

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime.now(dt.UTC)
OLD = NOW - dt.timedelta(days=31)  # past RETENTION_DAYS (30)
RECENT = NOW - dt.timedelta(days=29)


@pytest.fixture
def retention_settings(tmp_path: Path, tracker_db: Path) -> Settings:
    with sqlite3.connect(tracker_db) as db:
        db.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
            [
                ("old-session", "user", OLD.timestamp(), '{"text": "ancien"}'),
                ("old-session", "bot", OLD.timestamp() + 1, '{"text": "réponse"}'),
                ("live-session", "user", OLD.timestamp(), '{"text": "il y a longtemps"}'),
                ("live-session", "user", RECENT.timestamp(), '{"text": "récent"}'),
                ("live-session", "bot", NOW.timestamp(), '{"text": "maintenant"}'),
            ],
        )
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        tracker_url=f"sqlite:///{tracker_db}",
        engine_token=TOKEN,  # type: ignore[arg-type]
    )
    upgrade(settings.database_url)
    asyncio.run(seed(settings))
    return settings


def ticket(reference: str, status: TicketStatus, closed_at: dt.datetime | None, created_at: dt.datetime) -> Ticket:
    return Ticket(
        reference=reference,
        idempotency_key=reference,
        request_type="reclamation",
        service="relations_usagers",
        description="Une description.",
        contact="jo@example.org",
        consent_at=created_at,
        channel="api",
        session_id="live-session",
        status=status,
        created_at=created_at,
        closed_at=closed_at,
    )


async def seed(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    async with transaction(session_factory(engine)) as db:
        db.add(ChatSession(id="old-session", created_at=OLD, last_seen_at=OLD, offered_payloads=[]))
        db.add(ChatSession(id="live-session", created_at=OLD, last_seen_at=RECENT, offered_payloads=[]))
        await db.flush()
        db.add(Feedback(session_id="old-session", topic="t", useful=False, message="m", created_at=RECENT))
        db.add(Feedback(session_id="live-session", topic="t", useful=True, message="vieux", created_at=OLD))
        db.add(Feedback(session_id="live-session", topic="t", useful=True, message="garder", created_at=RECENT))
        db.add(Unanswered(session_id="old-session", kind="fallback", text="a", created_at=RECENT))
        db.add(Unanswered(session_id="live-session", kind="fallback", text="vieux", created_at=OLD))
        db.add(Unanswered(session_id="live-session", kind="fallback", text="garder", created_at=RECENT))
        for text, received_at in (("vieux", OLD), ("garder", NOW)):
            db.add(
                UndeliveredMessage(
                    session_id="live-session", channel="api", text=text, component="x", received_at=received_at
                )
            )
        expired = ticket("TK-EXPIRED00", TicketStatus.CLOS, NOW - dt.timedelta(days=366), NOW - dt.timedelta(days=400))
        closed = ticket("TK-CLOSED000", TicketStatus.CLOS, NOW - dt.timedelta(days=364), NOW - dt.timedelta(days=400))
        still_open = ticket("TK-OPEN00000", TicketStatus.EN_COURS, None, NOW - dt.timedelta(days=700))
        db.add_all([expired, closed, still_open])
        await db.flush()
        db.add(TicketNote(ticket_id=expired.id, username="gina", text="note"))
        db.add(TicketNote(ticket_id=closed.id, username="gina", text="note"))
        for mail_ticket, sent_at in ((expired, NOW), (still_open, OLD), (closed, RECENT)):
            db.add(
                OutboxMail(
                    ticket_id=mail_ticket.id,
                    to="s@hopital.example",
                    subject="s",
                    body="b",
                    state=NotificationState.ENVOYEE,
                    sent_at=sent_at,
                )
            )
        db.add(OutboxMail(ticket_id=still_open.id, to="s@hopital.example", subject="s", body="waiting", created_at=OLD))
        db.add(
            Registration(
                reference="PP-OLDBUTKEPT",
                idempotency_key="k",
                prenom="Zoé",
                nom="Le Gall",
                email="zoe@example.org",
                email_key="zoe@example.org",
                profil="patient",
                domaines=["recherche"],
                consent_at=NOW - dt.timedelta(days=900),
                consent_notice_version="v",
                channel="api",
                session_ids=["old-session"],
                created_at=NOW - dt.timedelta(days=900),
            )
        )
    await engine.dispose()


def app_rows(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(settings.database_url.removeprefix("sqlite:///")) as db:
        return db.execute(sql).fetchall()


def tracker_rows(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(settings.tracker_url.removeprefix("sqlite:///")) as db:
        return db.execute(sql).fetchall()


def assert_retention_applied(settings: Settings) -> None:
    """The invariant: nothing past its retention period; everything within it, and the registrations, kept."""
    cutoff = (NOW - dt.timedelta(days=30)).timestamp()
    assert tracker_rows(settings, f"SELECT count(*) FROM events WHERE timestamp < {cutoff}") == [(0,)]
    assert tracker_rows(settings, "SELECT sender_id, data FROM events ORDER BY id") == [
        ("live-session", '{"text": "récent"}'),
        ("live-session", '{"text": "maintenant"}'),
    ]
    assert app_rows(settings, "SELECT id FROM chat_sessions") == [("live-session",)]
    assert app_rows(settings, "SELECT message FROM feedback") == [("garder",)]
    assert app_rows(settings, "SELECT text FROM unanswered") == [("garder",)]
    assert app_rows(settings, "SELECT text FROM undelivered_messages") == [("garder",)]
    assert app_rows(settings, "SELECT reference FROM tickets ORDER BY reference") == [
        ("TK-CLOSED000",),  # closed 364 days ago: within TICKET_RETENTION_DAYS (365)
        ("TK-OPEN00000",),  # open: kept whatever its age
    ]
    assert app_rows(settings, "SELECT count(*) FROM ticket_notes") == [(1,)]
    # Sent e-mails go after 30 days (and with their ticket); one still waiting stays.
    assert sorted(app_rows(settings, "SELECT body, state FROM outbox")) == [("b", "envoyee"), ("waiting", "en_attente")]
    assert app_rows(settings, "SELECT reference FROM registrations") == [("PP-OLDBUTKEPT",)]


def test_purge_deletes_what_is_past_retention_and_keeps_the_rest(retention_settings: Settings) -> None:
    async def run() -> PurgeReport:
        engine = create_engine(retention_settings.database_url)
        try:
            return await purge(retention_settings, session_factory(engine), NOW)
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    assert_retention_applied(retention_settings)
    assert (report.tracker_events, report.chat_sessions, report.tickets) == (3, 1, 1)
    again = asyncio.run(run())  # idempotent
    assert (again.tracker_events, again.chat_sessions, again.tickets) == (0, 0, 0)
    assert_retention_applied(retention_settings)


def test_make_purge_runs_the_module(retention_settings: Settings) -> None:
    env = dict(
        os.environ,
        DATABASE_URL=retention_settings.database_url,
        TRACKER_URL=retention_settings.tracker_url,
        RETENTION_DAYS="30",
    )
    done = subprocess.run(
        [sys.executable, "-m", "server.purge"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "tracker_events 3" in done.stdout and "tickets 1" in done.stdout
    assert_retention_applied(retention_settings)
    makefile = (ROOT / "Makefile").read_text()
    assert "\npurge:" in makefile and "-m server.purge" in makefile


def test_the_server_purges_on_its_own(retention_settings: Settings, fake_engine: FakeEngine) -> None:
    settings = retention_settings.model_copy(update={"retention_start_delay_s": 0.0, "retention_interval_h": 24.0})
    engine = EngineClient(
        settings.engine_url, TOKEN, settings.action_server_url, transport=httpx.MockTransport(fake_engine.handler)
    )
    with TestClient(create_app(settings, engine_client=engine)):
        deadline = time.monotonic() + 20
        while app_rows(settings, "SELECT count(*) FROM tickets") != [(2,)]:
            assert time.monotonic() < deadline, "the retention job did not run"
            time.sleep(0.1)
        time.sleep(0.2)
    assert_retention_applied(settings)


def test_the_job_waits_for_its_delay_and_can_be_turned_off(retention_settings: Settings) -> None:
    async def run(settings: Settings) -> int:
        engine = create_engine(settings.database_url)
        job = RetentionJob(settings, session_factory(engine), clock=lambda: NOW)
        task = asyncio.create_task(job.run_forever())
        await asyncio.sleep(0.3)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()
        return job.runs

    waiting = retention_settings.model_copy(update={"retention_start_delay_s": 60.0})
    assert asyncio.run(run(waiting)) == 0
    off = retention_settings.model_copy(update={"retention_start_delay_s": 0.0, "retention_interval_h": 0.0})
    assert asyncio.run(run(off)) == 0
    on = retention_settings.model_copy(update={"retention_start_delay_s": 0.0})
    assert asyncio.run(run(on)) == 1
    assert_retention_applied(retention_settings)


def test_a_missing_tracker_store_does_not_stop_the_front_door_purge(retention_settings: Settings) -> None:
    settings = retention_settings.model_copy(
        update={"tracker_url": retention_settings.tracker_url.replace("tracker.db", "nowhere/none.db")}
    )

    async def run() -> PurgeReport:
        engine = create_engine(settings.database_url)
        try:
            return await purge(settings, session_factory(engine), NOW)
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    assert report.tracker_done is False
    assert app_rows(settings, "SELECT id FROM chat_sessions") == [("live-session",)]
