"""The back office's statistics are counted by the database (GROUP BY) and match a count in Python."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import anyio

from server.backoffice import stats
from store.engine import create_engine, session_factory, transaction
from store.migrate import upgrade
from store.models import Registration, Ticket, TicketStatus, TurnLog

START = dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC)  # near midnight: days are UTC days


def counted(values: list[str]) -> list[dict[str, object]]:
    return [{"key": key, "count": n} for key, n in sorted(Counter(values).items())]


async def test_stats_are_grouped_by_the_database(any_database: str) -> None:
    await anyio.to_thread.run_sync(upgrade, any_database)
    turns = [
        TurnLog(
            session_id=f"s{i % 4}",
            channel=("api", "webchat", "whatsapp")[i % 3],
            topic=(None, "droit.information", "role.patient_partenaire")[i % 3] if i % 5 else None,
            fallback=i % 4 == 0,
            created_at=START + dt.timedelta(hours=7 * i),
        )
        for i in range(23)
    ]
    registered = [START + dt.timedelta(days=3 * i) for i in range(5)]
    opened = START - dt.timedelta(days=2)
    closed = [opened + dt.timedelta(hours=h) for h in (5, 30)]
    engine = create_engine(any_database)
    try:
        async with transaction(session_factory(engine)) as db:
            db.add_all(turns)
            for i, at in enumerate(registered):
                db.add(
                    Registration(
                        reference=f"PP-{i:010d}",
                        idempotency_key=f"r{i}",
                        prenom="A",
                        nom="B",
                        email=f"p{i}@example.org",
                        email_key=f"p{i}@example.org",
                        profil="patient",
                        domaines=[],
                        consent_at=at,
                        consent_notice_version="v",
                        channel="api",
                        session_ids=[],
                        created_at=at,
                    )
                )
            for i, service in enumerate(("cdu", "cdu", "relations_usagers")):
                done = closed[i] if i < len(closed) else None
                db.add(
                    Ticket(
                        reference=f"TK-{i:010d}",
                        idempotency_key=f"t{i}",
                        request_type="question",
                        service=service,
                        description="d",
                        contact="c@example.org",
                        consent_at=opened,
                        channel="api",
                        session_id="s",
                        created_at=opened,
                        closed_at=done,
                        status=TicketStatus.CLOS if done else TicketStatus.NOUVEAU,
                    )
                )
        async with session_factory(engine)() as db:
            got = (await stats(db)).model_dump()
    finally:
        await engine.dispose()
    assert got["questions_per_topic"] == counted([t.topic for t in turns if t.topic])
    assert got["questions_per_day"] == counted([t.created_at.date().isoformat() for t in turns])
    assert got["questions_per_channel"] == counted([t.channel for t in turns])
    assert got["fallback_rate"] == sum(1 for t in turns if t.fallback) / len(turns)
    weeks = [f"{d.isocalendar().year}-S{d.isocalendar().week:02d}" for d in registered]
    assert got["registrations_per_week"] == counted(weeks)
    assert got["tickets_per_service"] == [{"key": "cdu", "count": 2}, {"key": "relations_usagers", "count": 1}]
    assert abs(got["mean_hours_to_close"] - 17.5) < 1e-6


async def test_stats_of_an_empty_database(any_database: str) -> None:
    await anyio.to_thread.run_sync(upgrade, any_database)
    engine = create_engine(any_database)
    try:
        async with session_factory(engine)() as db:
            got = (await stats(db)).model_dump()
    finally:
        await engine.dispose()
    assert got["fallback_rate"] == 0.0 and got["mean_hours_to_close"] is None
    assert got["questions_per_day"] == [] and got["registrations_per_week"] == []
