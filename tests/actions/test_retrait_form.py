"""Withdrawal: both the reference and the e-mail must match; the erasure leaves no personal data."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.partenaires.submit_inscription import ActionSubmitInscription
from actions.partenaires.submit_retrait import ActionSubmitRetrait
from actions.partenaires.validate_retrait import ValidateRetraitInscription
from knowledge.partenaires import get_partners
from server.erasure import TrackerEraser
from store.models import ChatSession, ErasureRequest, Feedback, Registration, WithdrawalNote
from tests.actions.conftest import TrackerFactory
from tests.actions.test_inscription_form import CONFIRMED, slots_of
from tests.tracker_store import add_events


async def register(make_tracker: TrackerFactory, sender: str = "session-a") -> str:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("affirm", "oui", slots={**CONFIRMED, "inscription_cle": f"{sender}:1"}, sender_id=sender)
    await ActionSubmitInscription().run(dispatcher, tracker, {})
    text: str = dispatcher.messages[0]["text"]
    return text.split("référence : ")[1].split(".")[0]


async def withdraw(make_tracker: TrackerFactory, reference: str, email: str, sender: str) -> list[str]:
    dispatcher = CollectingDispatcher()
    slots = {"retrait_reference": reference, "retrait_email": email}
    await ActionSubmitRetrait().run(dispatcher, make_tracker("informer", email, slots=slots, sender_id=sender), {})
    return [m["text"] for m in dispatcher.messages]


async def test_reference_and_email_are_read_in_words(make_tracker: TrackerFactory) -> None:
    validator = ValidateRetraitInscription()
    tracker = make_tracker("informer", "ma référence est pp-7k3m9qx2vd", slots={"requested_slot": "retrait_reference"})
    assert slots_of(await validator.run(CollectingDispatcher(), tracker, {}))["retrait_reference"] == "PP-7K3M9QX2VD"
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("informer", "PP-123", slots={"requested_slot": "retrait_reference"})
    assert slots_of(await validator.run(dispatcher, tracker, {}))["retrait_reference"] is None
    assert dispatcher.messages[0]["text"] == get_partners().withdrawal.fields["retrait_reference"].invalid


async def test_wrong_credentials_reveal_nothing_and_change_nothing(make_tracker: TrackerFactory, app_db: Any) -> None:
    reference = await register(make_tracker)
    not_found = get_partners().withdrawal.not_found
    assert await withdraw(make_tracker, reference, "someone.else@example.org", "s2") == [not_found]
    assert await withdraw(make_tracker, "PP-0000000000", CONFIRMED["email"], "s2") == [not_found]
    assert await withdraw(make_tracker, "PP-0000000000", "nobody@example.org", "s2") == [not_found]
    async with app_db() as db:
        assert (await db.execute(select(func.count(Registration.id)))).scalar_one() == 1
        assert (await db.execute(select(func.count(ErasureRequest.id)))).scalar_one() == 0


async def test_withdrawal_erases_the_registration_and_its_conversations(
    make_tracker: TrackerFactory, app_db: Any, tracker_db: Path
) -> None:
    reference = await register(make_tracker, "session-a")
    async with app_db() as db, db.begin():
        db.add(ChatSession(id="session-a", offered_payloads=[]))
        await db.flush()
        db.add(Feedback(session_id="session-a", topic="role.patient_partenaire", useful=True, message="x"))

    # The engine's tracker store: events of the registration's session, of the
    # withdrawal's session, and of someone else.
    add_events(tracker_db, [("session-a", CONFIRMED["email"]), ("session-w", reference), ("other", "keep")])

    said = await withdraw(make_tracker, reference, CONFIRMED["email"].upper(), "session-w")
    assert said == [get_partners().withdrawal.done]

    eraser = TrackerEraser(app_db, f"sqlite:///{tracker_db}")
    assert await eraser.run_pending() == 2
    await eraser.aclose()
    with sqlite3.connect(tracker_db) as connection:
        assert connection.execute("SELECT sender_id, data FROM events").fetchall() == [("other", "keep")]
    async with app_db() as db:
        assert (await db.execute(select(func.count(Registration.id)))).scalar_one() == 0
        assert (await db.execute(select(func.count(Feedback.id)))).scalar_one() == 0
        assert (await db.execute(select(func.count(ErasureRequest.id)))).scalar_one() == 0
        notes = (await db.execute(select(WithdrawalNote))).scalars().all()
    assert len(notes) == 1  # only an anonymous, dated note remains
    assert set(WithdrawalNote.__table__.columns.keys()) == {"id", "withdrawn_on"}


async def test_a_failed_erasure_stays_queued(make_tracker: TrackerFactory, app_db: Any, tmp_path: Path) -> None:
    reference = await register(make_tracker)
    await withdraw(make_tracker, reference, CONFIRMED["email"], "session-w")
    eraser = TrackerEraser(app_db, f"sqlite:///{tmp_path / 'missing' / 'tracker.db'}")
    assert await eraser.run_pending() == 0
    await eraser.aclose()
    async with app_db() as db:
        assert (await db.execute(select(func.count(ErasureRequest.id)))).scalar_one() == 1
