"""The registration form's validation, summary and save, with tracker fixtures and a real SQLite database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.partenaires.ask import AskConfirmation, AskEmail, AskTelephone
from actions.partenaires.form_kit import FAILURES_SLOT, OUTCOME_SLOT, REQUESTED_SLOT
from actions.partenaires.submit_inscription import ActionSubmitInscription
from actions.partenaires.validate_inscription import KEY, ValidateInscriptionPartenaire
from knowledge.partenaires import get_partners
from store.models import Registration
from tests.actions.conftest import TrackerFactory

FORM = "inscription_partenaire"
CONFIRMED: dict[str, Any] = {
    "consentement": True,
    "consentement_horodatage": "2026-11-24T10:00:00+00:00",
    "prenom": "Anne-Sophie",
    "nom": "N'Diaye",
    "email": "anne.ndiaye@example.org",
    "reference_existante": "",
    "telephone": "+33612345678",
    "profil": "les_deux",
    "domaines": ["recherche", "formation_professionnels"],
    "experience": "",
    "disponibilites": "le mardi",
    "confirmation": True,
    KEY: "session-a:0001",
}


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def validate(
    make_tracker: TrackerFactory, requested: str, text: str, intent: str = "informer", **kwargs: Any
) -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    slots = {REQUESTED_SLOT: requested, KEY: "k", **kwargs.pop("slots", {})}
    tracker = make_tracker(intent, text, slots=slots, active_loop=FORM, **kwargs)
    events = await ValidateInscriptionPartenaire().run(dispatcher, tracker, {})
    return slots_of(events), [m.get("text") or "" for m in dispatcher.messages], events


async def test_consent_yes_is_stored_with_a_timestamp(make_tracker: TrackerFactory) -> None:
    slots, said, _ = await validate(make_tracker, "consentement", "oui j'accepte", intent="affirm")
    assert slots["consentement"] is True
    assert dt.datetime.fromisoformat(slots["consentement_horodatage"]).tzinfo is not None
    assert said == []


async def test_consent_no_ends_the_form(make_tracker: TrackerFactory) -> None:
    slots, _, _ = await validate(make_tracker, "consentement", "non", intent="deny")
    assert slots["consentement"] is False
    assert slots[OUTCOME_SLOT] == "refus"
    assert slots[REQUESTED_SLOT] is None


async def test_a_vague_consent_is_asked_again(make_tracker: TrackerFactory) -> None:
    slots, said, _ = await validate(make_tracker, "consentement", "peut-être", intent="nlu_fallback")
    assert "consentement" in slots and slots["consentement"] is None
    assert said == [get_partners().registration.notice.invalid]


@pytest.mark.parametrize(
    ("slot", "text", "stored"),
    [
        ("prenom", "  jean - pierre ", "jean-pierre"),
        ("nom", "N’Diaye", "N'Diaye"),
        ("telephone", "06 12 34 56 78", "+33612345678"),
        ("profil", "je suis aidante de mon père", "proche_aidant"),
        ("domaines", "la recherche et la formation", ["formation_professionnels", "recherche"]),
        ("disponibilites", "le mardi après-midi", "le mardi après-midi"),
    ],
)
async def test_valid_answers_are_normalised(make_tracker: TrackerFactory, slot: str, text: str, stored: Any) -> None:
    slots, said, _ = await validate(make_tracker, slot, text)
    assert slots[slot] == stored
    assert said == []


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        ("prenom", "R2D2"),
        ("prenom", "<img src=x onerror=alert(1)>"),
        ("nom", "x" * 51),
        ("telephone", "12345"),
        ("profil", "je ne sais pas"),
        ("domaines", "rien de tout ça"),
        ("experience", "x" * 501),
    ],
)
async def test_invalid_answers_get_what_is_expected(make_tracker: TrackerFactory, slot: str, text: str) -> None:
    slots, said, _ = await validate(make_tracker, slot, text)
    assert slots[slot] is None
    assert slots[FAILURES_SLOT] == {slot: 1}
    assert said == [get_partners().registration.fields[slot].invalid]


async def test_three_failures_offer_to_skip_an_optional_question(make_tracker: TrackerFactory) -> None:
    slots, said, _ = await validate(make_tracker, "telephone", "123", slots={FAILURES_SLOT: {"telephone": 2}})
    assert slots[FAILURES_SLOT] == {"telephone": 3}
    assert said[-1] == get_partners().registration.too_many_tries_optional
    # The question that follows offers to skip it or to stop.
    dispatcher = CollectingDispatcher()
    await AskTelephone().run(dispatcher, make_tracker(None, slots={FAILURES_SLOT: slots[FAILURES_SLOT]}), {})
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/passer", "/annuler"]


async def test_three_failures_offer_to_stop_a_required_question(make_tracker: TrackerFactory) -> None:
    slots, said, _ = await validate(make_tracker, "email", "pas une adresse", slots={FAILURES_SLOT: {"email": 2}})
    assert said[-1] == get_partners().registration.too_many_tries_required
    dispatcher = CollectingDispatcher()
    await AskEmail().run(dispatcher, make_tracker(None, slots={FAILURES_SLOT: slots[FAILURES_SLOT]}), {})
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/annuler"]


@pytest.mark.parametrize(
    ("text", "intent", "confidence"),
    [
        ("ouais bof", "affirm", 0.6),
        ("oui mais je voudrais changer le nom", "nlu_fallback", 0.3),
        ("peut-être", "deny", 0.5),
    ],
)
async def test_a_hesitant_answer_is_neither_consent_nor_confirmation(
    make_tracker: TrackerFactory, text: str, intent: str, confidence: float
) -> None:
    for slot in ("consentement", "confirmation"):
        slots, _, _ = await validate(make_tracker, slot, text, intent=intent, confidence=confidence, slots=CONFIRMED)
        assert slots[slot] is None, slot


async def test_gibberish_the_classifier_is_sure_about_is_not_answered_as_a_question(
    make_tracker: TrackerFactory,
) -> None:
    slots, said, _ = await validate(make_tracker, "nom", "x" * 60, intent="role_patient_expert", confidence=0.97)
    assert slots["nom"] is None and said == [get_partners().registration.fields["nom"].invalid]


@pytest.mark.parametrize("text", ["stop", "Annuler", "je ne veux plus"])
async def test_stop_words_leave_the_form(make_tracker: TrackerFactory, text: str) -> None:
    slots, _, _ = await validate(make_tracker, "prenom", text, intent="nlu_fallback", confidence=0.2)
    assert slots == {OUTCOME_SLOT: "annule", REQUESTED_SLOT: None}


async def test_a_question_is_not_taken_as_an_answer(make_tracker: TrackerFactory) -> None:
    _slots, said, events = await validate(
        make_tracker, "prenom", "c'est quoi un patient ressource", "role_patient_ressource"
    )
    assert events == [] and said == []


async def test_an_emergency_is_never_stored(make_tracker: TrackerFactory) -> None:
    _, said, events = await validate(make_tracker, "experience", "j'ai envie de me tuer", "urgence", confidence=1.0)
    assert events == [] and said == []


async def test_skip_an_optional_question(make_tracker: TrackerFactory) -> None:
    slots, _, _ = await validate(make_tracker, "telephone", "passer", intent="passer")
    assert slots["telephone"] == ""


async def test_a_required_question_cannot_be_skipped(make_tracker: TrackerFactory) -> None:
    slots, _, _ = await validate(make_tracker, "email", "passer", intent="passer")
    assert slots["email"] is None and slots[FAILURES_SLOT] == {"email": 1}


async def test_correction_empties_the_field_and_the_confirmation(make_tracker: TrackerFactory) -> None:
    entities = [{"entity": "champ", "value": "email"}]
    slots, _, _ = await validate(
        make_tracker, "confirmation", "changer l'email", "corriger", entities=entities, slots=CONFIRMED
    )
    assert slots["email"] is None
    assert slots["reference_existante"] is None
    assert slots["confirmation"] is None


async def test_summary_shows_exactly_the_answers(make_tracker: TrackerFactory) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("informer", "le mardi", slots={**CONFIRMED, "confirmation": None})
    await AskConfirmation().run(dispatcher, tracker, {})
    text = dispatcher.messages[0]["text"]
    for value in ("Anne-Sophie", "N'Diaye", "anne.ndiaye@example.org", "+33612345678", "Les deux", "le mardi"):
        assert value in text
    assert "Recherche" in text and "Formation des professionnels" in text
    assert get_partners().registration.summary_empty in text  # experience skipped
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads[0] == "/affirm" and '/corriger{"champ":"email"}' in payloads


async def test_optional_questions_offer_to_skip(make_tracker: TrackerFactory) -> None:
    dispatcher = CollectingDispatcher()
    await AskTelephone().run(dispatcher, make_tracker(None), {})
    assert dispatcher.messages[0]["buttons"][-1]["payload"] == "/passer"


async def test_save_is_idempotent_and_exact(make_tracker: TrackerFactory, app_db: Any) -> None:
    tracker = make_tracker("affirm", "oui", slots=CONFIRMED, metadata={"channel": "api"}, sender_id="session-a")
    first = CollectingDispatcher()
    events = await ActionSubmitInscription().run(first, tracker, {})
    reference = first.messages[0]["text"].split("référence : ")[1].split(".")[0]
    assert reference.startswith("PP-") and len(reference) == 13
    assert slots_of(events)["prenom"] is None  # the form's answers are cleared

    again = CollectingDispatcher()
    await ActionSubmitInscription().run(again, tracker, {})  # a retried confirmation
    assert reference in again.messages[0]["text"]

    async with app_db() as db:
        assert (await db.execute(select(func.count(Registration.id)))).scalar_one() == 1
        row = (await db.execute(select(Registration))).scalar_one()
    assert (row.reference, row.prenom, row.nom, row.email) == (reference, "Anne-Sophie", "N'Diaye", CONFIRMED["email"])
    assert (row.telephone, row.profil, row.domaines) == ("+33612345678", "les_deux", CONFIRMED["domaines"])
    assert (row.experience, row.disponibilites, row.channel) == (None, "le mardi", "api")
    assert row.status.value == "nouvelle"
    assert row.consent_notice_version == get_partners().registration.notice.version
    assert row.consent_at.replace(tzinfo=dt.UTC) == dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC)
    assert row.session_ids == ["session-a"]


async def test_an_email_already_registered_is_not_duplicated(make_tracker: TrackerFactory, app_db: Any) -> None:
    tracker = make_tracker("affirm", "oui", slots=CONFIRMED, sender_id="session-a")
    first = CollectingDispatcher()
    await ActionSubmitInscription().run(first, tracker, {})
    reference = first.messages[0]["text"].split("référence : ")[1].split(".")[0]

    # A new form run with the same address, in upper case: the e-mail question says so.
    slots, _, _ = await validate(make_tracker, "email", "ANNE.NDIAYE@example.org")
    assert slots["email"] == "ANNE.NDIAYE@example.org" and slots["reference_existante"] is None
    wrong, said, _ = await validate(
        make_tracker, "reference_existante", "PP-0000000000", slots={"email": "anne.ndiaye@example.org"}
    )
    assert wrong["reference_existante"] is None
    assert said == [get_partners().registration.fields["reference_existante"].invalid]
    right, _, _ = await validate(
        make_tracker, "reference_existante", reference.lower(), slots={"email": "anne.ndiaye@example.org"}
    )
    assert right["reference_existante"] == reference

    # Saving with the proven reference updates the same row.
    update = {**CONFIRMED, "reference_existante": reference, "nom": "Ndiaye", KEY: "session-b:0002"}
    second = CollectingDispatcher()
    await ActionSubmitInscription().run(second, make_tracker("affirm", "oui", slots=update, sender_id="session-b"), {})
    assert reference in second.messages[0]["text"]
    async with app_db() as db:
        rows = (await db.execute(select(Registration))).scalars().all()
    assert len(rows) == 1 and rows[0].nom == "Ndiaye" and rows[0].session_ids == ["session-a", "session-b"]

    # Without the proof (registered meanwhile): nothing saved, the form asks for the reference.
    sneaky = {**CONFIRMED, KEY: "session-c:0003"}
    third = CollectingDispatcher()
    events = await ActionSubmitInscription().run(third, make_tracker("affirm", "oui", slots=sneaky), {})
    assert FollowupAction(FORM) in events and SlotSet("reference_existante", None) in events
    async with app_db() as db:
        assert (await db.execute(select(func.count(Registration.id)))).scalar_one() == 1


@pytest.mark.parametrize(("outcome", "key"), [("refus", "declined"), ("annule", "cancelled")])
async def test_nothing_is_saved_without_consent_or_after_stop(
    make_tracker: TrackerFactory, app_db: Any, outcome: str, key: str
) -> None:
    dispatcher = CollectingDispatcher()
    slots = {**CONFIRMED, OUTCOME_SLOT: outcome, "confirmation": None}
    await ActionSubmitInscription().run(dispatcher, make_tracker("annuler", "stop", slots=slots), {})
    assert dispatcher.messages[0]["text"] == getattr(get_partners().registration, key)
    async with app_db() as db:
        assert (await db.execute(select(func.count(Registration.id)))).scalar_one() == 0
