"""Follow-ups, comparisons and clarification, with tracker fixtures and the real knowledge base."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge.clarify import ActionClarify
from actions.knowledge.compare import ActionCompareRoles
from actions.knowledge.followup_path import ActionFollowupPath
from actions.knowledge.followup_role import ActionFollowupRole
from actions.knowledge.roles import role_entry, roles, roles_in_text
from knowledge.loader import get_knowledge
from knowledge.messages import message
from knowledge.schema import Entry
from tests.actions.conftest import TrackerFactory


def entry(entry_id: str) -> Entry:
    found = get_knowledge().get(entry_id)
    assert found is not None, entry_id
    return found


def role(value: str, text: str | None = None) -> dict[str, Any]:
    return {"entity": "role", "value": value, "text": text or value}


def topic_of(events: list[Any]) -> Any:
    return next(e["value"] for e in events if e == SlotSet("topic", e["value"]))


async def compare(
    make_tracker: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    text: str,
    *roles_named: dict[str, Any],
) -> list[Any]:
    """Run action_compare_roles on ``text`` with the given role entities."""
    tracker = make_tracker("compare_roles", text, entities=list(roles_named))
    events: list[Any] = await ActionCompareRoles().run(dispatcher, tracker, domain)
    return events


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("patient_expert", "role.patient_expert"),
        ("role.pair_aidant", "role.pair_aidant"),
        ("Pairs-Aidants", "role.pair_aidant"),
        ("RU", "role.representant_usagers"),
        ("représentants des usagers", "role.representant_usagers"),
        ("patiente partenaire", "role.patient_partenaire"),
        ("médiateur de santé pair", "role.mediateur_sante_pair"),
        ("chirurgien", None),
    ],
)
def test_a_role_is_found_by_id_or_by_the_words_users_use(words: str, expected: str | None) -> None:
    found = role_entry(get_knowledge(), words)
    assert (found.id if found else None) == expected


def test_every_role_has_a_profile_and_known_paths() -> None:
    kb = get_knowledge()
    assert len(roles(kb)) == 13
    for each in roles(kb):
        assert each.profile is not None, each.id
        assert each.profile.path is None or each.profile.path.startswith("parcours.")


async def test_how_to_become_it_after_a_role_gives_that_roles_path(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        "ask_followup_path", "et comment on le devient ?", slots={"subject_role": "role.patient_expert"}
    )
    events = await ActionFollowupPath().run(dispatcher, tracker, domain)
    path = entry("parcours.devenir_patient_expert")
    assert dispatcher.messages[0]["text"].startswith(path.long)
    assert events == [
        SlotSet("topic", path.id),
        SlotSet("subject_role", "role.patient_expert"),
        SlotSet("answer_kind", "path"),
    ]


async def test_a_role_named_now_wins_over_the_role_discussed_before(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        "ask_followup_path",
        "et pour devenir pair-aidant ?",
        slots={"subject_role": "role.patient_expert"},
        entities=[role("pair_aidant", "pair-aidant")],
    )
    events = await ActionFollowupPath().run(dispatcher, tracker, domain)
    assert topic_of(events) == "parcours.devenir_pair_aidant"


async def test_a_role_without_a_documented_path_says_so_with_its_training(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    witness = entry("role.patient_temoin")
    assert witness.profile is not None and witness.profile.path is None
    tracker = make_tracker(
        "ask_followup_path", "comment devenir patient témoin ?", entities=[role("patient_temoin")]
    )
    events = await ActionFollowupPath().run(dispatcher, tracker, domain)
    assert events == [SlotSet("topic", witness.id)]
    text = dispatcher.messages[0]["text"]
    assert witness.title in text and witness.profile.training in text and "Source : " in text


async def test_how_to_become_it_without_context_offers_the_roles(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    tracker = make_tracker("ask_followup_path", "et on le devient comment")
    events = await ActionFollowupPath().run(dispatcher, tracker, domain)
    assert events == []
    [asked] = dispatcher.messages
    assert asked["text"] == message("ask_which_role")
    assert len(asked["buttons"]) == 13
    assert asked["buttons"][0]["payload"] == '/ask_followup_path{"role": "patient_partenaire"}'


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("definition", "role.patient_expert"), ("path", "parcours.devenir_patient_expert"), (None, "role.patient_expert")],
)
async def test_and_a_patient_expert_gives_the_same_kind_of_answer(
    dispatcher: CollectingDispatcher,
    make_tracker: TrackerFactory,
    domain: dict[str, Any],
    kind: str | None,
    expected: str,
) -> None:
    tracker = make_tracker(
        "ask_followup_role",
        "et un patient expert ?",
        slots={"subject_role": "role.pair_aidant", "answer_kind": kind},
        entities=[role("patient_expert", "patient expert")],
    )
    events = await ActionFollowupRole().run(dispatcher, tracker, domain)
    assert topic_of(events) == expected
    assert dispatcher.messages[0]["text"].startswith(entry(expected).long)


async def test_ru_and_patient_partenaire_get_the_seed_table(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    text = "différence entre RU et patient partenaire ?"
    events = await compare(make_tracker, dispatcher, domain, text, role("RU"), role("patient_partenaire"))
    table = entry("compare.ru_patient_partenaire")
    assert table.comparison is not None and len(table.comparison.rows) >= 4
    assert topic_of(events) == table.id
    assert dispatcher.messages[0]["text"].startswith(table.long)


async def test_any_other_pair_is_built_side_by_side_from_the_profiles(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    text = "différence entre patient expert et pair aidant"
    events = await compare(make_tracker, dispatcher, domain, text, role("patient_expert"), role("pair_aidant"))
    assert events == [SlotSet("topic", "compare.roles")]
    text = dispatcher.messages[0]["text"]
    expert, peer = entry("role.patient_expert"), entry("role.pair_aidant")
    assert expert.profile is not None and peer.profile is not None
    for criterion in ("who", "what", "where", "training", "recognition"):
        assert message(f"profile_{criterion}") in text
        assert getattr(expert.profile, criterion) in text
        assert getattr(peer.profile, criterion) in text
    assert "\n\n" not in text


async def test_a_comparison_without_two_roles_explains_the_differences(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    events = await compare(make_tracker, dispatcher, domain, "c quoi les différences")
    assert topic_of(events) == "compare.roles"
    assert dispatcher.messages[0]["text"].startswith(entry("compare.roles").long)


async def test_close_candidates_are_offered_with_autre_chose(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    tracker = make_tracker("nlu_fallback", "patient qui forme")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "role_patient_formateur", "confidence": 0.35},
        {"name": "greet", "confidence": 0.3},
        {"name": "role_patient_expert", "confidence": 0.2},
        {"name": "parcours_formation_etp_40h", "confidence": 0.15},
        {"name": "role_patient_ressource", "confidence": 0.12},
    ]
    events = await ActionClarify().run(dispatcher, tracker, domain)
    assert events == [SlotSet("topic", None)]
    [asked] = dispatcher.messages
    assert asked["text"] == message("clarify")
    assert [b["payload"] for b in asked["buttons"]] == [
        "/role_patient_formateur",
        "/role_patient_expert",
        "/parcours_formation_etp_40h",
        "/bot_capacites",
    ]
    assert asked["buttons"][-1]["title"] == message("clarify_other")


async def test_nothing_close_enough_gives_the_fallback(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, domain: dict[str, Any]
) -> None:
    tracker = make_tracker("nlu_fallback", "azerty")
    tracker.latest_message["intent_ranking"] = [{"name": "greet", "confidence": 0.2}]
    await ActionClarify().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"] == message("fallback")
    assert not dispatcher.messages[0]["buttons"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RU et patient partenaire, en quoi diffèrent-ils ?", ["role.representant_usagers", "role.patient_partenaire"]),
        ("patient partenaire de recherche ou pair aidant ?", ["role.patient_chercheur", "role.pair_aidant"]),
        ("c'est quoi un aidant", ["role.proche_aidant"]),
        ("quelle est la différence entre un chirurgien et un anesthésiste ?", []),
    ],
)
def test_roles_named_in_the_text_longest_name_first(text: str, expected: list[str]) -> None:
    assert [e.id for e in roles_in_text(get_knowledge(), text)] == expected


async def test_a_comparison_the_entity_extractor_half_missed_still_gets_the_seed_table(
    make_tracker: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "Je suis représentante des usagers, qu'est-ce qui change si je deviens patiente partenaire ?"
    events = await compare(make_tracker, dispatcher, domain, text, role("patient_partenaire", "patiente partenaire"))
    assert topic_of(events) == "compare.ru_patient_partenaire"
