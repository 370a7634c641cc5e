"""Routing offers, the transmission form's questions (the RU only when needed) and the ticket it stores."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.knowledge.answer import ActionAnswerKnowledge
from actions.partenaires.form_kit import REQUESTED_SLOT
from actions.routage.contacts import ActionCoordonnees
from actions.routage.submit_transmission import ActionSubmitTransmission
from actions.routage.validate_transmission import ValidateTransmissionDemande
from knowledge.annuaire import get_directory
from knowledge.partenaires import get_partners
from store.models import NotificationState, OutboxMail, Ticket
from tests.actions.conftest import TrackerFactory
from tests.actions.test_inscription_form import slots_of


async def run_validator(make_tracker: TrackerFactory, requested: str, text: str, **kwargs: Any) -> dict[str, Any]:
    dispatcher = CollectingDispatcher()
    slots = {REQUESTED_SLOT: requested, "transmission_cle": "k", **kwargs.pop("slots", {})}
    tracker = make_tracker(
        kwargs.pop("intent", "informer"), text, slots=slots, active_loop="transmission_demande", **kwargs
    )
    return slots_of(await ValidateTransmissionDemande().run(dispatcher, tracker, {}))


async def test_a_complaint_question_gets_the_answer_then_the_routing_offer(make_tracker: TrackerFactory) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("droit_reclamation", "je veux me plaindre de l'accueil")
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, {})
    slots = slots_of(events)
    assert slots["route_service"] == "relations_usagers" and slots["route_request"] == "reclamation"
    offer = dispatcher.messages[1]
    assert get_directory().services["relations_usagers"].name in offer["text"]
    assert "R1112-91" in offer["text"]
    assert [b["payload"] for b in offer["buttons"]] == ["/demander_coordonnees", "/transmettre_demande"]


async def test_contact_details_are_those_of_the_routed_service_and_marked_as_examples(
    make_tracker: TrackerFactory,
) -> None:
    dispatcher = CollectingDispatcher()
    await ActionCoordonnees().run(
        dispatcher, make_tracker("demander_coordonnees", "", slots={"route_service": "utep"}), {}
    )
    text = dispatcher.messages[0]["text"]
    assert "utep@hopital.example" in text and get_directory().messages.example_note in text


async def test_description_and_contact_are_checked(make_tracker: TrackerFactory) -> None:
    assert (await run_validator(make_tracker, "description", "bof"))["description"] is None
    assert (await run_validator(make_tracker, "description", "x" * 2001))["description"] is None
    ok = "Mon père a attendu neuf heures aux urgences sans information."
    assert (await run_validator(make_tracker, "description", ok))["description"] == ok
    assert (await run_validator(make_tracker, "contact", "jo@example.org"))["contact"] == "jo@example.org"
    assert (await run_validator(make_tracker, "contact", "06 12 34 56 78"))["contact"] == "+33612345678"
    assert (await run_validator(make_tracker, "contact", "demain"))["contact"] is None


async def test_a_request_other_than_an_ru_skips_the_ru_questions(make_tracker: TrackerFactory) -> None:
    slots = await run_validator(
        make_tracker, "demande_type", "", entities=[{"entity": "choix", "value": "dossier_medical"}]
    )
    assert slots["demande_type"] == "dossier_medical" and slots["route_service"] == "relations_usagers"
    assert (slots["ru_site"], slots["ru_theme"], slots["ru_choisi"]) == ("", "", "")


async def test_an_ru_is_chosen_by_site_then_theme_only_when_needed(make_tracker: TrackerFactory) -> None:
    base = {"demande_type": "parler_ru", "route_service": "representants_usagers"}
    site = await run_validator(
        make_tracker, "ru_site", "", entities=[{"entity": "choix", "value": "brabois"}], slots=base
    )
    assert site["ru_site"] == "brabois" and "ru_theme" not in site  # two RU there, on different themes: ask
    theme = await run_validator(
        make_tracker,
        "ru_theme",
        "",
        entities=[{"entity": "choix", "value": "cancer"}],
        slots={**base, "ru_site": "brabois"},
    )
    assert theme["ru_choisi"] == "ru_exemple_2" and theme["route_ru"] == "ru_exemple_2"
    # Only one RU on this site: the theme is not asked.
    psy = await run_validator(
        make_tracker, "ru_site", "", entities=[{"entity": "choix", "value": "psychiatrie"}], slots=base
    )
    assert psy["ru_theme"] == "" and psy["ru_choisi"] == "ru_exemple_3"


async def test_no_matching_ru_sends_the_request_to_the_cdu(make_tracker: TrackerFactory) -> None:
    base = {"demande_type": "parler_ru", "route_service": "representants_usagers", "ru_site": "central"}
    slots = await run_validator(
        make_tracker, "ru_theme", "", entities=[{"entity": "choix", "value": "cancer"}], slots=base
    )
    assert slots["ru_choisi"] == "" and slots["route_service"] == "cdu"


CONFIRMED: dict[str, Any] = {
    "demande_type": "dossier_medical",
    "route_service": "relations_usagers",
    "ru_site": "",
    "ru_theme": "",
    "ru_choisi": "",
    "description": "Je voudrais une copie du dossier de mon hospitalisation de mars.",
    "contact": "jo@example.org",
    "consentement_transmission": True,
    "transmission_horodatage": "2026-11-24T10:00:00+00:00",
    "transcription": True,
    "confirmation_transmission": True,
    "transmission_cle": "s:1",
}


async def test_a_confirmed_request_stores_one_ticket_and_one_mail(make_tracker: TrackerFactory, app_db: Any) -> None:
    events = [
        {"event": "user", "text": "je veux une copie de mon dossier"},
        {"event": "bot", "text": "Le service des relations avec les usagers traite…"},
    ]
    tracker = make_tracker("affirm", "oui", slots=CONFIRMED, sender_id="s")
    tracker.events = events
    first = CollectingDispatcher()
    slots = slots_of(await ActionSubmitTransmission().run(first, tracker, {}))
    reference = slots["route_ticket"]
    assert reference.startswith("TK-") and len(reference) == 13
    assert reference in first.messages[0]["text"] and "L1111-7" in first.messages[0]["text"]
    # Transmitting is not yet the formal request; both legal deadlines run from its receipt.
    said = first.messages[0]["text"]
    assert "pas encore votre demande officielle" in said
    assert "8 jours au plus tard" in said and "2 mois si les informations datent de plus de 5 ans" in said
    await ActionSubmitTransmission().run(CollectingDispatcher(), tracker, {})  # a repeated confirmation
    async with app_db() as db:
        assert (await db.execute(select(func.count(Ticket.id)))).scalar_one() == 1
        ticket = (await db.execute(select(Ticket))).scalar_one()
        [mail] = (await db.execute(select(OutboxMail))).scalars().all()
    assert (ticket.service, ticket.request_type, ticket.contact) == (
        "relations_usagers",
        "dossier_medical",
        "jo@example.org",
    )
    assert ticket.transcript is not None and "je veux une copie de mon dossier" in ticket.transcript
    assert ticket.status.value == "nouveau" and ticket.notification == NotificationState.EN_ATTENTE
    assert mail.to == "relations-usagers@hopital.example" and reference in mail.subject
    assert CONFIRMED["description"] in mail.body


async def test_no_transcript_without_consent(make_tracker: TrackerFactory, app_db: Any) -> None:
    tracker = make_tracker("affirm", "oui", slots={**CONFIRMED, "transcription": False}, sender_id="s")
    tracker.events = [{"event": "user", "text": "secret"}]
    await ActionSubmitTransmission().run(CollectingDispatcher(), tracker, {})
    async with app_db() as db:
        ticket = (await db.execute(select(Ticket))).scalar_one()
        mail = (await db.execute(select(OutboxMail))).scalar_one()
    assert ticket.transcript is None and "secret" not in mail.body


async def test_yes_after_the_offer_starts_the_transmission(make_tracker: TrackerFactory) -> None:
    from rasa_sdk.events import FollowupAction

    from actions.partenaires.out_of_form import ActionOutOfForm

    offer = {"event": "bot", "text": "…", "data": {"buttons": [{"title": "t", "payload": "/transmettre_demande"}]}}
    tracker = make_tracker("affirm", "oui")
    tracker.events = [{"event": "user", "text": "je veux me plaindre"}, offer, {"event": "user", "text": "oui"}]
    assert await ActionOutOfForm().run(CollectingDispatcher(), tracker, {}) == [FollowupAction("transmission_demande")]
    # Later, with no offer just made, "oui" starts nothing.
    tracker.events = [
        offer,
        {"event": "user", "text": "merci"},
        {"event": "bot", "text": "…"},
        {"event": "user", "text": "oui"},
    ]
    dispatcher = CollectingDispatcher()
    assert await ActionOutOfForm().run(dispatcher, tracker, {}) == []
    assert dispatcher.messages[0]["text"] == get_partners().out_of_form
