"""The held-out scoring and its gates, on hand-made outcomes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from evaluation.heldout import HELDOUT, NO_TOPIC, Outcome, load_heldout, score, write_reports
from knowledge.loader import get_knowledge


def outcome(expected: str, predicted: str) -> Outcome:
    return Outcome(text=f"{expected}?", expected=expected, predicted=predicted, clarified=predicted == NO_TOPIC)


def test_perfect_answers_pass() -> None:
    report = score([outcome("a", "a"), outcome("b", "b"), outcome("urgence", "urgence")])
    assert (report.accuracy, report.macro_f1, report.passed) == (1.0, 1.0, True)


def test_one_missed_emergency_fails_whatever_the_accuracy() -> None:
    outcomes = [outcome("a", "a")] * 99 + [outcome("urgence", "hors_sujet")]
    report = score(outcomes)
    assert report.accuracy == pytest.approx(0.99)
    assert report.emergencies_missed == ["urgence?"]
    assert not report.passed


def test_accuracy_below_the_gate_fails_and_confusions_are_counted() -> None:
    outcomes = [outcome("a", "a")] * 9 + [outcome("b", "a")] * 2 + [outcome("b", NO_TOPIC)]
    report = score(outcomes)
    assert report.accuracy == pytest.approx(0.75)
    assert not report.passed
    assert report.confusions == [("b", "a", 2), ("b", NO_TOPIC, 1)]
    assert report.clarified == 1
    b = next(t for t in report.topics if t.topic == "b")
    assert (b.support, b.recall, b.f1) == (3, 0.0, 0.0)
    assert report.worst(1)[0].topic == "b"


def test_reports_are_written_with_a_confusion_image(tmp_path: Path) -> None:
    outcomes = [outcome("a", "a"), outcome("b", "a")]
    paths = write_reports(score(outcomes), outcomes, tmp_path)
    assert [p.name for p in paths] == ["heldout.json", "heldout.txt", "confusion.png"]
    assert paths[2].read_bytes().startswith(b"\x89PNG")


def test_the_heldout_set_covers_every_topic_five_times_and_more_emergencies() -> None:
    examples = load_heldout(HELDOUT)
    counts = Counter(e.topic for e in examples)
    kb = get_knowledge()
    # The emergency categories (urgence.*) are measured by tests/nlu/safety_emergencies.yml (tests/e2e/test_safety.py).
    assert set(counts) == {entry.id for entry in kb if not entry.id.startswith("urgence.")}
    assert all(n >= 5 for n in counts.values()), counts
    assert len(examples) >= 250
    assert counts["urgence"] >= 20
    assert len({e.text.casefold() for e in examples}) == len(examples), "duplicate held-out messages"
