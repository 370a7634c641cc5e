from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet

from actions.knowledge.answer import ActionAnswerKnowledge
from actions.knowledge.clarify import ActionClarify
from actions.knowledge.compare import ActionCompareRoles
from actions.knowledge.followup_path import ActionFollowupPath
from actions.knowledge.followup_role import ActionFollowupRole
from knowledge.loader import get_knowledge
from tests.actions.conftest import TrackerFactory


def role(value: str) -> dict[str, Any]:
    return {"entity": "role", "value": value}


async def test_a_role_answer_remembers_the_role_for_follow_ups(make_tracker: TrackerFactory, dispatcher: Any) -> None:
    events = await ActionAnswerKnowledge().run(dispatcher, make_tracker("role_patient_expert"), {})
    assert SlotSet("subject_role", "role.patient_expert") in events
    assert SlotSet("answer_kind", "definition") in events


async def test_how_to_become_one_after_a_role_gives_that_roles_path(
    make_tracker: TrackerFactory, dispatcher: Any
) -> None:
    tracker = make_tracker(
        "ask_followup_path", "et comment on le devient ?", slots={"subject_role": "role.pair_aidant"}
    )
    events = await ActionFollowupPath().run(dispatcher, tracker, {})
    assert SlotSet("topic", "parcours.devenir_pair_aidant") in events
    assert SlotSet("answer_kind", "path") in events
    assert dispatcher.messages[0]["text"].startswith(get_knowledge().get("parcours.devenir_pair_aidant").long)  # type: ignore[union-attr]


async def test_how_to_become_one_without_a_role_asks_which(make_tracker: TrackerFactory, dispatcher: Any) -> None:
    events = await ActionFollowupPath().run(dispatcher, make_tracker("ask_followup_path"), {})
    assert events == []
    [question] = dispatcher.messages
    payloads = [b["payload"] for b in question["buttons"]]
    assert '/ask_followup_path{"role": "patient_expert"}' in payloads
    assert len(payloads) == len([e for e in get_knowledge() if e.id.startswith("role.")])


async def test_and_a_patient_expert_after_a_definition_gives_a_definition(
    make_tracker: TrackerFactory, dispatcher: Any
) -> None:
    tracker = make_tracker(
        "ask_followup_role",
        "et un patient expert ?",
        slots={"subject_role": "role.pair_aidant", "answer_kind": "definition"},
        entities=[role("patient_expert")],
    )
    events = await ActionFollowupRole().run(dispatcher, tracker, {})
    assert SlotSet("topic", "role.patient_expert") in events


async def test_and_a_patient_expert_after_a_path_gives_the_path(make_tracker: TrackerFactory, dispatcher: Any) -> None:
    tracker = make_tracker(
        "ask_followup_role",
        "et pour un patient expert ?",
        slots={"subject_role": "role.pair_aidant", "answer_kind": "path"},
        entities=[role("patient_expert")],
    )
    events = await ActionFollowupRole().run(dispatcher, tracker, {})
    assert SlotSet("topic", "parcours.devenir_patient_expert") in events


async def test_two_roles_are_compared_side_by_side_from_their_profiles(
    make_tracker: TrackerFactory, dispatcher: Any
) -> None:
    tracker = make_tracker("compare_roles", entities=[role("patient_expert"), role("pair_aidant")])
    events = await ActionCompareRoles().run(dispatcher, tracker, {})
    assert events == [SlotSet("topic", "compare.roles")]
    text = dispatcher.messages[0]["text"]
    kb = get_knowledge()
    expert, pair = kb.get("role.patient_expert"), kb.get("role.pair_aidant")
    assert expert is not None and pair is not None and expert.profile and pair.profile
    for criterion in ("who", "what", "where", "training", "recognition"):
        assert getattr(expert.profile, criterion) in text
        assert getattr(pair.profile, criterion) in text
    assert "\n\n" not in text


async def test_ru_and_patient_partenaire_use_the_seed_table(make_tracker: TrackerFactory, dispatcher: Any) -> None:
    tracker = make_tracker("compare_roles", entities=[role("representant_usagers"), role("patient_partenaire")])
    events = await ActionCompareRoles().run(dispatcher, tracker, {})
    assert SlotSet("topic", "compare.ru_patient_partenaire") in events


async def test_a_comparison_with_one_role_explains_how_to_ask(make_tracker: TrackerFactory, dispatcher: Any) -> None:
    events = await ActionCompareRoles().run(
        dispatcher, make_tracker("compare_roles", entities=[role("pair_aidant")]), {}
    )
    assert SlotSet("topic", "compare.roles") in events


async def test_clarification_offers_at_most_three_topics_and_something_else(
    make_tracker: TrackerFactory, dispatcher: Any
) -> None:
    tracker = make_tracker("nlu_fallback", "patient")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "role_patient_expert", "confidence": 0.3},
        {"name": "greet", "confidence": 0.2},
        {"name": "role_patient_ressource", "confidence": 0.25},
        {"name": "role_patient_partenaire", "confidence": 0.2},
        {"name": "role_patient_formateur", "confidence": 0.15},
    ]
    await ActionClarify().run(dispatcher, tracker, {})
    [question] = dispatcher.messages
    assert question["text"] == "Vouliez-vous dire…"
    assert [b["payload"] for b in question["buttons"]] == [
        "/role_patient_expert",
        "/role_patient_ressource",
        "/role_patient_partenaire",
        "/bot_capacites",
    ]


async def test_clarification_with_no_credible_candidate_falls_back(
    make_tracker: TrackerFactory, dispatcher: Any
) -> None:
    tracker = make_tracker("nlu_fallback", "zorglub")
    tracker.latest_message["intent_ranking"] = [{"name": "role_patient_expert", "confidence": 0.02}]
    await ActionClarify().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_default"
