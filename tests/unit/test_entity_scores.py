"""Entity precision, recall and F1 of `make benchmark-nlu` (benchmarks/nlu/assistant.py)."""

from __future__ import annotations

from benchmarks.nlu.assistant import ENTITIES, entity_scores, load_entity_set


def test_scores_count_pairs_found_missed_and_invented() -> None:
    gold = [{("role", "patient_expert")}, {("champ", "email")}, set()]
    found = [{("role", "patient_expert"), ("role", "patient_partenaire")}, set(), set()]
    scores = entity_scores(gold, found)
    assert scores["precision"] == 0.5  # one of the two pairs found is right
    assert scores["recall"] == 0.5  # one of the two expected pairs is found
    assert scores["f1"] == 0.5 and scores["pairs"] == 2


def test_nothing_expected_and_nothing_found_is_perfect() -> None:
    assert entity_scores([set()], [set()])["f1"] == 1.0


def test_the_held_out_entity_set_loads() -> None:
    examples = load_entity_set(ENTITIES)
    assert len(examples) >= 40
    assert any(not gold for _, gold in examples)  # messages without entities test false positives
