"""EmergencyGuard (bot/components): patterns, the forced intent, and false alarms on the held-out set."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message

from bot.components.emergency_guard import (
    ROOT,
    EmergencyGuard,
    PatternFileError,
    load_patterns,
    normalise,
)

PATTERNS = ROOT / "bot" / "components" / "emergency_patterns.yml"
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"


@pytest.fixture(scope="module")
def guard() -> EmergencyGuard:
    return EmergencyGuard({"patterns": str(PATTERNS), "intent": "urgence"}, load_patterns(PATTERNS))


def parsed(text: str, intent: str, confidence: float, second: float = 0.05) -> Message:
    message = Message.build(text=text)
    top = {"name": intent, "confidence": confidence}
    message.set("intent", top, add_to_output=True)
    message.set("intent_ranking", [top, {"name": "greet", "confidence": second}], add_to_output=True)
    return message


def test_normalise_drops_case_accents_and_punctuation() -> None:
    assert normalise("J'ai AVALÉ toute ma boîte !!") == "j ai avale toute ma boite"


@pytest.mark.parametrize(
    "text",
    [
        "J'ai avalé toute ma boîte de somnifères",
        "jveu mourir",
        "je veux mourir ce soir",
        "j'ai une douleur qui serre dans la poitrine",
        "mon mari ne respire plus",
        "elle a perdu connaissance",
        "je pense à me suicider",
    ],
)
def test_an_emergency_forces_the_intent_whatever_the_classifier_said(guard: EmergencyGuard, text: str) -> None:
    [message] = guard.process([parsed(text, "droit_information", 0.97, second=0.96)])
    assert message.get("intent") == {"name": "urgence", "confidence": 1.0}
    ranking = message.get("intent_ranking")
    assert ranking[0]["name"] == "urgence" and all(r["confidence"] == 0.0 for r in ranking[1:])
    assert message.get("emergency_pattern")


def test_the_forced_intent_is_never_turned_into_a_fallback(guard: EmergencyGuard) -> None:
    [message] = guard.process([parsed("je veux en finir", "hors_sujet", 0.5, second=0.49)])
    fallback = FallbackClassifier({"threshold": 0.9, "ambiguity_threshold": 0.3})
    [message] = fallback.process([message])
    assert message.get("intent")["name"] == "urgence"


@pytest.mark.parametrize(
    "text",
    [
        "c'est quoi la personne de confiance ?",
        "mon père ne peut plus parler, qui décide ?",
        "je veux mourir dans la dignité, comment écrire mes directives anticipées ?",
        "/urgence",
    ],
)
def test_other_messages_and_button_payloads_are_left_alone(guard: EmergencyGuard, text: str) -> None:
    [message] = guard.process([parsed(text, "droit_personne_confiance", 0.8)])
    assert message.get("intent")["name"] == "droit_personne_confiance"
    assert message.get("emergency_pattern") is None


def test_no_false_alarm_on_the_other_heldout_topics(guard: EmergencyGuard) -> None:
    messages = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))["messages"]
    false_alarms = [m["text"] for m in messages if m["topic"] != "urgence" and guard.match(m["text"])]
    assert false_alarms == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("patterns: {}\n", "non-empty mapping"),
        ("patterns:\n  suicide: []\n", "non-empty list"),
        ("patterns:\n  suicide: ['(unclosed']\n", "group 'suicide', pattern 0"),
    ],
)
def test_a_broken_pattern_file_is_refused_with_its_place(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "patterns.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PatternFileError, match=expected):
        load_patterns(path)
