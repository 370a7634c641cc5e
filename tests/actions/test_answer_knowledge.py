from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge.answer import ActionAnswerKnowledge
from knowledge.loader import get_knowledge
from knowledge.messages import message
from tests.actions.conftest import TrackerFactory


async def run(dispatcher: CollectingDispatcher, tracker: Any, domain: dict[str, Any]) -> list[Any]:
    return await ActionAnswerKnowledge().run(dispatcher, tracker, domain)


async def test_a_patient_gets_the_full_answer_with_its_sources(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    entry = get_knowledge().get("role.patient_partenaire")
    assert entry is not None
    tracker = make_tracker("role_patient_partenaire", "c est quoi un patient partenaire ?")
    events = await run(dispatcher, tracker, domain)
    assert events == [
        SlotSet("topic", "role.patient_partenaire"),
        SlotSet("subject_role", "role.patient_partenaire"),
        SlotSet("answer_kind", "definition"),
    ]
    [message] = dispatcher.messages
    assert message["text"].startswith(entry.long + "\nSource : ")
    assert "France Assos Santé, 2023" in message["text"]


async def test_staff_mode_gets_the_short_answer(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    tracker = make_tracker("droit_personne_confiance", "personne de confiance", metadata={"mode": "staff"})
    events = await run(dispatcher, tracker, domain)
    assert events == [SlotSet("topic", "droit.personne_confiance")]
    [message] = dispatcher.messages
    entry = get_knowledge().get("droit.personne_confiance")
    assert entry is not None
    assert message["text"] == f"{entry.short} (Source : {entry.source_line()})"
    assert "art. L1111-6" in message["text"]


async def test_a_terse_definition_query_gets_the_short_answer_in_patient_mode(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    await run(dispatcher, make_tracker("service_cdu", "déf CDU"), domain)
    assert dispatcher.messages[0]["text"].startswith(get_knowledge().get("service.cdu").short)  # type: ignore[union-attr]


async def test_a_question_mentioning_definition_in_a_sentence_gets_the_full_answer(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    await run(dispatcher, make_tracker("service_cdu", "je cherche à comprendre la définition de la CDU"), domain)
    assert dispatcher.messages[0]["text"].startswith(get_knowledge().get("service.cdu").long)  # type: ignore[union-attr]


async def test_an_intent_without_knowledge_falls_back_and_clears_the_topic(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    events = await run(dispatcher, make_tracker("greet", "bonjour"), domain)
    assert events == [SlotSet("topic", None)]
    assert dispatcher.messages[0]["text"] == message("fallback")


async def test_a_path_answer_offers_orientation_and_registration(
    make_tracker: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker("parcours_devenir_patient_partenaire", "comment devenir patient partenaire ?")
    await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == ["/orientation", "/inscription_partenaire"]


async def test_a_question_inside_a_form_is_answered_then_the_form_resumes(
    make_tracker: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "comment on devient patient partenaire ?"
    tracker = make_tracker("parcours_devenir_patient_partenaire", text, active_loop="inscription_partenaire")
    events = await ActionAnswerKnowledge().run(dispatcher, tracker, domain)
    assert events[-1] == {"event": "followup", "name": "inscription_partenaire", "timestamp": None}
    assert dispatcher.messages[0]["buttons"] == []  # no offer to register while registering
