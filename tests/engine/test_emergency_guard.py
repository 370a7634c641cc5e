"""EmergencyGuard (bot/components): patterns by category, history and context, advice, distress, the detector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.emergency_detector import EmergencyDetector
from bot.components.emergency_guard import (
    CERTAIN,
    POSSIBLE,
    ROOT,
    EmergencyGuard,
    PatternFileError,
    load_patterns,
    normalise,
)

PATTERNS = ROOT / "bot" / "components" / "emergency_patterns.yml"
NLU = ROOT / "tests" / "nlu"


@pytest.fixture(scope="module")
def guard() -> EmergencyGuard:
    """The patterns alone (no trained detector)."""
    return EmergencyGuard({"patterns": str(PATTERNS)}, load_patterns(PATTERNS))


def parsed(text: str, intent: str, confidence: float, second: float = 0.05) -> Message:
    message = Message.build(text=text)
    top = {"name": intent, "confidence": confidence}
    message.set("intent", top, add_to_output=True)
    message.set("intent_ranking", [top, {"name": "greet", "confidence": second}], add_to_output=True)
    return message


def test_normalise_drops_case_accents_and_punctuation() -> None:
    assert normalise("J'ai AVALÉ toute ma boîte !!") == "j ai avale toute ma boite"
    # Ligatures are written out, as most people type them: « cœur » is « coeur », not « c ur ».
    assert normalise("Mon cœur bat vite, ŒIL rouge") == normalise("mon coeur bat vite, oeil rouge") == (
        "mon coeur bat vite oeil rouge"
    )


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("J'ai avalé toute ma boîte de somnifères", "intoxication"),
        ("mon petit a bu de la javel", "intoxication"),
        ("jveu mourir", "suicide"),
        ("je pense à me suicider", "suicide"),
        ("j'ai une douleur qui serre dans la poitrine", "vitale"),
        ("enceinte de 8 mois je perds du sang", "vitale"),
        ("fièvre et des taches violettes qui ne s'effacent pas", "vitale"),
        ("mon mari me frappe", "violence"),
        ("il a dit qu'il allait me tuer ce soir", "violence"),
        ("au feu, la cuisine est en flammes", "incendie"),
        ("j'ai 12 ans et mon père me frappe", "enfant_danger"),
    ],
)
def test_a_pattern_forces_the_category_whatever_the_classifier_said(
    guard: EmergencyGuard, text: str, category: str
) -> None:
    [message] = guard.process([parsed(text, "droit_information", 0.97, second=0.96)])
    assert message.get("intent") == {"name": f"urgence_{category}", "confidence": 1.0}
    ranking = message.get("intent_ranking")
    assert ranking[0]["name"] == f"urgence_{category}" and all(r["confidence"] == 0.0 for r in ranking[1:])
    assert message.get("emergency") == {
        "intent": f"urgence_{category}",
        "category": category,
        "level": CERTAIN,
        "source": "pattern",
    }
    assert message.get("safety_rule").startswith(category)


def test_the_forced_intent_is_never_turned_into_a_fallback(guard: EmergencyGuard) -> None:
    [message] = guard.process([parsed("je veux en finir", "hors_sujet", 0.5, second=0.49)])
    fallback = FallbackClassifier({"threshold": 0.9, "ambiguity_threshold": 0.3})
    [message] = fallback.process([message])
    assert message.get("intent")["name"] == "urgence_suicide"


@pytest.mark.parametrize(
    "text",
    [
        "J'ai fait une tentative de suicide il y a dix ans, je voudrais devenir médiateur de santé pair",
        "quand j'étais ado je me scarifiais, aujourd'hui je veux aider les autres",
        "mon frère s'est suicidé à l'hôpital, puis-je avoir son dossier ?",
        "si un jour je fais un AVC je ne veux pas être réanimé",
        "je veux me plaindre : mon père a fait un infarctus et a attendu 8 heures aux urgences",
        "exercice incendie demain dans le service",
        "je veux mourir dans la dignité, comment écrire mes directives anticipées ?",
        "ce boulot me tue",
    ],
)
def test_history_and_context_lower_the_alarm(guard: EmergencyGuard, text: str) -> None:
    found = guard.assess(text)
    assert found.level is None and found.lowered_by


def test_saying_it_is_happening_now_keeps_the_alarm(guard: EmergencyGuard) -> None:
    text = "il y a 10 ans j'ai fait une tentative de suicide et depuis hier les idées sont revenues"
    found = guard.assess(text)
    assert found.level == CERTAIN and found.intent == "urgence_suicide" and found.lowered_by is None


@pytest.mark.parametrize(
    "text",
    [
        "est-ce que je peux doubler ma dose de doliprane ?",
        "je voudrais arrêter ma chimio, vous en pensez quoi ?",
        "ma glycémie est à 1,3, c'est normal ?",
        "quel régime pour le cholestérol ?",
        "le vaccin contre la grippe est-il dangereux ?",
        # lookalikes of the practical questions below
        "est-ce que je peux manger avant mon opération ?",
        "dois-je faire le vaccin contre la grippe si je suis enceinte ?",
    ],
)
def test_medical_advice_becomes_hors_sujet(guard: EmergencyGuard, text: str) -> None:
    [message] = guard.process([parsed(text, "droit_information", 0.9)])
    assert message.get("intent") == {"name": "hors_sujet", "confidence": 1.0}
    assert message.get("emergency") is None


@pytest.mark.parametrize(
    "text",
    [
        "je suis immuno-déprimée, est-ce que je peux rendre visite à ma sœur en réanimation ?",
        "mon fils est immunodéprimé, il a droit à une chambre seule ?",
        "est-ce qu'on peut manger avec mon père dans sa chambre pendant les visites ?",
        "je peux manger à la cafétéria de l'hôpital avec mes enfants ?",
        "où est-ce qu'on peut se faire vacciner contre la grippe à l'hôpital ?",
        "comment prendre rendez-vous pour me faire vacciner ?",
    ],
)
def test_practical_questions_are_neither_advice_nor_distress(guard: EmergencyGuard, text: str) -> None:
    """Even when the classifier is unsure (the guard's distress rule applies below 0.6)."""
    [message] = guard.process([parsed(text, "droit_information", 0.3)])
    assert message.get("intent")["name"] == "droit_information"
    assert message.get("emergency") is None


def test_a_question_about_the_right_to_stop_a_treatment_is_not_advice(guard: EmergencyGuard) -> None:
    [message] = guard.process([parsed("ai-je le droit d'arrêter ma chimio ?", "droit_consentement", 0.8)])
    assert message.get("intent")["name"] == "droit_consentement"


def test_distress_is_answered_when_the_classifier_has_nothing_better(guard: EmergencyGuard) -> None:
    for text in ("je suis au bout du rouleau avec tout ça", "je suis déprimée depuis la mort de mon mari"):
        [weak] = guard.process([parsed(text, "droit_information", 0.3)])
        assert weak.get("intent") == {"name": "soutien_detresse", "confidence": 1.0}, text
        assert weak.get("emergency") is None
    [sure] = guard.process([parsed("je suis épuisée, comment devenir proche aidante ?", "role_proche_aidant", 0.9)])
    assert sure.get("intent")["name"] == "role_proche_aidant"


@pytest.mark.parametrize(
    "text",
    ["c'est quoi la personne de confiance ?", "mon père ne peut plus parler, qui décide ?", "/urgence"],
)
def test_other_messages_and_button_payloads_are_left_alone(guard: EmergencyGuard, text: str) -> None:
    [message] = guard.process([parsed(text, "droit_personne_confiance", 0.8)])
    assert message.get("intent")["name"] == "droit_personne_confiance"
    assert message.get("emergency") is None and message.get("safety_rule") is None


def test_lowered_by_context_an_emergency_guess_of_the_classifier_is_dropped(guard: EmergencyGuard) -> None:
    message = Message.build(text="ma mère est décédée aux urgences, je voudrais son dossier")
    ranking = [{"name": "urgence_vitale", "confidence": 0.6}, {"name": "droit_dossier_medical", "confidence": 0.3}]
    message.set("intent", ranking[0], add_to_output=True)
    message.set("intent_ranking", ranking, add_to_output=True)
    [message] = guard.process([message])
    assert message.get("intent")["name"] == "droit_dossier_medical"
    assert [r["name"] for r in message.get("intent_ranking")] == ["droit_dossier_medical"]


def messages(name: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load((NLU / name).read_text(encoding="utf-8"))["messages"])


def test_the_patterns_alone_raise_no_alarm_on_the_heldout_topics_and_lookalikes(guard: EmergencyGuard) -> None:
    ordinary = [m["text"] for m in messages("heldout.yml") if m["topic"] != "urgence"]
    ordinary += [m["text"] for m in messages("safety_lookalikes.yml")]
    assert [text for text in ordinary if guard.assess(text).level] == []


def test_the_patterns_alone_catch_every_heldout_emergency(guard: EmergencyGuard) -> None:
    urgent = [m["text"] for m in messages("heldout.yml") if m["topic"] == "urgence"]
    assert [text for text in urgent if guard.assess(text).level != CERTAIN] == []


# -- the learned detector, on small data ---------------------------------------------------------

SMALL: dict[str, list[str]] = {
    "urgence_incendie": [
        "il y a le feu chez moi",
        "la cuisine brule",
        "fumee noire dans l escalier",
        "incendie dans l immeuble",
        "le garage est en flammes",
        "ca brule au sous sol",
    ],
    "urgence_vitale": [
        "mon pere ne respire plus",
        "elle est inconsciente par terre",
        "douleur dans la poitrine tres forte",
        "il s est effondre et ne bouge plus",
        "mon bebe devient bleu",
        "elle saigne enormement",
    ],
    "droit_information": [
        "ai je le droit d etre informe",
        "le medecin doit il tout me dire",
        "information sur mon etat de sante",
        "je veux savoir ce que j ai",
        "droit a l information du patient",
        "on ne m explique rien sur mon traitement",
    ],
    "greet": ["bonjour", "salut", "bonsoir", "coucou", "hello", "bonjour a vous"],
}


def small_data() -> TrainingData:
    return TrainingData(
        [Message.build(text=text, intent=intent) for intent, texts in SMALL.items() for text in texts]
    )


def test_the_detector_is_trained_persisted_and_loaded_without_pickle(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("emergency_guard")
    context = ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]
    config = {**EmergencyGuard.get_default_config(), "folds": 3, "recall": 0.9, "false_alarms": 0.05}
    trained = EmergencyGuard.create(config, storage, resource, context)
    trained.train(small_data())
    assert trained.detector is not None
    detector: EmergencyDetector = trained.detector
    assert 0.0 <= detector.low <= detector.high <= 1.0
    assert detector.cross_validation["folds"] == 3
    saved = sorted(p.name for p in (tmp_path / resource.name).iterdir())
    assert saved == ["emergency_detector.json", "emergency_detector.npz"]
    loaded = EmergencyGuard.load(config, storage, resource, context)
    assert loaded.detector is not None
    for text in ("la maison brule", "bonjour", "il ne respire plus du tout", "ai je le droit de savoir"):
        before, after = detector.score(text), loaded.detector.score(text)
        assert after.intent == before.intent
        assert after.emergency == pytest.approx(before.emergency)
    assert loaded.detector.score("ca brule dans le garage").intent == "urgence_incendie"
    assert loaded.detector.score("bonjour").emergency < loaded.detector.low


def test_without_a_trained_detector_the_patterns_alone_decide(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]
    loaded = EmergencyGuard.load({}, storage, Resource("nothing"), context)
    assert loaded.detector is None
    assert loaded.assess("au feu").level == CERTAIN


class FixedDetector:
    """A detector whose score is set by the test."""

    low, high = 0.4, 0.7

    def __init__(self, emergency: float, intent: str = "urgence_incendie") -> None:
        self.value, self.intent = emergency, intent

    def score(self, text: str) -> Any:
        from bot.components.emergency_detector import Score

        return Score(self.value, self.intent, 0.0)

    def level(self, probability: float) -> str | None:
        return CERTAIN if probability >= self.high else POSSIBLE if probability >= self.low else None


@pytest.mark.parametrize(
    ("probability", "classified", "confidence", "expected"),
    [
        (0.8, None, 0.0, CERTAIN),
        (0.8, "droit_information", 0.9, POSSIBLE),  # the detector alone, against a sure classifier
        (0.5, None, 0.0, POSSIBLE),
        (0.5, "urgence_incendie", 0.4, CERTAIN),  # two signals agree
        (0.2, None, 0.0, None),
        (0.2, "urgence_incendie", 0.6, POSSIBLE),  # the classifier alone
    ],
)
def test_levels_of_the_detector(probability: float, classified: str | None, confidence: float, expected: Any) -> None:
    guard = EmergencyGuard({}, load_patterns(PATTERNS), FixedDetector(probability))  # type: ignore[arg-type]
    assert guard.assess("quelque chose de bizarre se passe", classified, confidence).level == expected


def test_in_context_only_a_very_sure_detector_raises_a_possible_alarm() -> None:
    text = "j'ai vu un film sur un incendie"
    sure = EmergencyGuard({}, load_patterns(PATTERNS), FixedDetector(0.9))  # type: ignore[arg-type]
    unsure = EmergencyGuard({}, load_patterns(PATTERNS), FixedDetector(0.8))  # type: ignore[arg-type]
    assert sure.assess(text).level == POSSIBLE
    assert unsure.assess(text).level is None


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("emergency: {}\n", "non-empty mapping"),
        ("emergency:\n  suicide: []\n", "category 'suicide'"),
        ("emergency:\n  suicide:\n    g: ['(unclosed']\n", "suicide.g, pattern 0"),
        ("emergency:\n  suicide:\n    g: ['x']\nadvice: {request: ['y'], except: ['z']}\n", "history must be"),
    ],
)
def test_a_broken_pattern_file_is_refused_with_its_place(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "patterns.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PatternFileError, match=expected):
        load_patterns(path)
