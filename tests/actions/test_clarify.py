"""The clarification asks only when topics are really close, offers the complaint route to a story, keeps a way out."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge.clarify import ActionClarify, named_in_text
from knowledge.loader import get_knowledge
from knowledge.messages import message
from tests.actions.conftest import TrackerFactory


async def clarify(
    make_tracker: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    text: str,
    ranking: list[tuple[str, float]],
) -> list[Any]:
    tracker = make_tracker("nlu_fallback", text)
    tracker.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    return await ActionClarify().run(dispatcher, tracker, domain)


def payloads(dispatcher: CollectingDispatcher) -> list[str]:
    return [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]


async def test_a_single_topic_named_in_a_polite_message_is_answered(
    make_tracker: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "Bonjour, je voudrais savoir ce qu'est un patient-partenaire svp"
    ranking = [("nlu_fallback", 0.52), ("role_patient_partenaire", 0.45), ("role_patient_expert", 0.2)]
    events = await clarify(make_tracker, dispatcher, domain, text, ranking)
    assert SlotSet("topic", "role.patient_partenaire") in events
    assert dispatcher.messages[0]["text"].startswith(get_knowledge().get("role.patient_partenaire").long)  # type: ignore[union-attr]


async def test_an_explicit_complaint_is_answered_with_the_route_to_transmit_it(
    make_tracker: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "Je voudrais que vous transmettiez ma plainte sur le service des urgences"
    ranking = [("nlu_fallback", 0.52), ("droit_reclamation", 0.3), ("droit_mediation", 0.25)]
    events = await clarify(make_tracker, dispatcher, domain, text, ranking)
    assert SlotSet("topic", "droit.reclamation") in events
    assert SlotSet("route_service", "relations_usagers") in events
    assert "/transmettre_demande" in payloads(dispatcher)


async def test_two_topics_named_are_still_asked_with_autre_chose(
    make_tracker: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "patient expert ou patient partenaire, je ne sais plus"
    ranking = [("nlu_fallback", 0.52), ("role_patient_expert", 0.35), ("role_patient_partenaire", 0.33)]
    events = await clarify(make_tracker, dispatcher, domain, text, ranking)
    assert events == [SlotSet("topic", None)]
    assert dispatcher.messages[0]["text"] == message("clarify")
    assert payloads(dispatcher) == ["/role_patient_expert", "/role_patient_partenaire", "/bot_capacites"]


async def test_a_story_about_a_bad_experience_is_offered_the_complaint_route(
    make_tracker: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "ma mere a attendu toute la nuit sur un brancard et personne ne lui a parle"
    ranking = [
        ("nlu_fallback", 0.52),
        ("droit_information", 0.3),
        ("droit_douleur", 0.2),
        ("droit_consentement", 0.12),
        ("situation_mauvaise_experience", 0.08),
    ]
    await clarify(make_tracker, dispatcher, domain, text, ranking)
    assert payloads(dispatcher) == [
        "/droit_information",
        "/droit_douleur",
        "/droit_consentement",
        "/situation_mauvaise_experience",
        "/bot_capacites",
    ]


async def test_a_story_understood_too_little_still_gets_the_complaint_route_and_a_way_out(
    make_tracker: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "franchement c'etait n'importe quoi du debut a la fin"
    ranking = [("nlu_fallback", 0.52), ("greet", 0.09), ("droit_reclamation", 0.06)]
    await clarify(make_tracker, dispatcher, domain, text, ranking)
    assert dispatcher.messages[0]["text"] == message("clarify")
    assert payloads(dispatcher) == ["/situation_mauvaise_experience", "/bot_capacites"]


async def test_no_complaint_signal_and_nothing_close_gives_the_fallback(
    make_tracker: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    ranking = [("nlu_fallback", 0.52), ("greet", 0.09), ("droit_reclamation", 0.01)]
    await clarify(make_tracker, dispatcher, domain, "xqzw", ranking)
    assert dispatcher.messages[0]["text"] == message("fallback")
    assert payloads(dispatcher) == []


async def test_thanks_for_the_staff_are_offered_as_a_request(
    make_tracker: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "l'equipe de nuit a ete formidable avec mon pere"
    ranking = [("nlu_fallback", 0.52), ("demande_eloge", 0.4), ("role_proche_aidant", 0.15)]
    await clarify(make_tracker, dispatcher, domain, text, ranking)
    assert payloads(dispatcher)[0] == "/demande_eloge"
    assert dispatcher.messages[0]["buttons"][0]["title"] == "Des remerciements"


def test_longest_names_win_when_finding_the_topics_a_message_names() -> None:
    kb = get_knowledge()
    entries = [kb.get("role.pair_aidant"), kb.get("role.proche_aidant")]
    found = named_in_text("je suis pair-aidante depuis un an", [e for e in entries if e is not None])
    assert [e.id for e in found] == ["role.pair_aidant"]


async def test_what_the_assistant_can_do_is_offered_once_as_autre_chose(
    make_tracker: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    ranking = [("nlu_fallback", 0.52), ("bot_capacites", 0.3), ("droit_directives_anticipees", 0.2)]
    await clarify(make_tracker, dispatcher, domain, "il faut quoi pour en faire partie", ranking)
    assert payloads(dispatcher) == ["/droit_directives_anticipees", "/bot_capacites"]
