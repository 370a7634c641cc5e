"""EmergencyGuard: the safety net of the understanding (emergencies, medical advice, distress).

A missed emergency is the one mistake the assistant must not make.  This
component runs after the intent classifier and before the FallbackClassifier,
and decides on three things, in this order:

1. **Emergencies, by category** (``vitale``, ``suicide``, ``violence``,
   ``intoxication``, ``incendie``, ``enfant_danger``; ``urgence`` alone is a
   request for the numbers).  Two sources:

   - *patterns* (``emergency_patterns.yml``), regular expressions on the
     normalised text: a match is **certain**;
   - a *learned detector* (``emergency_detector.py``) trained at ``rasa train``
     time on the emergency intents' examples (``data/nlu/urgences.yml``) against
     every other example (``data/nlu/lookalikes.yml`` among them).  Above its
     high threshold: **certain**; between its low and high thresholds: **possible**.
     Both thresholds come from cross-validation on the training data.

   A message told as history (« il y a 10 ans »), a question about a right that
   mentions death, a complaint about the emergency department, a wish to get
   involved, fiction or a drill (``history`` and ``context`` patterns) lowers
   the alarm (history only unless it also says it is happening now, ``present``): the
   patterns are set aside, and only a detector surer than half-way between its
   high threshold and 1 raises a *possible* alarm.

   An alarm from the detector alone is only *possible* when the message is a
   request for medical advice or the classifier is sure (``classifier_trust``)
   of a topic that is not an emergency (recall first: it is never dropped).

   *Certain*: the intent becomes ``urgence_<category>`` with confidence 1.0 (the
   classifier's other candidates stay listed at confidence 0, so the
   FallbackClassifier never finds it ambiguous).  *Possible*: the classifier's
   intent is kept; the front door puts the category's numbers first.  When the
   classifier itself says an emergency intent and nothing lowers the alarm, the
   level is at least *possible*; when something lowers it and the detector
   says nothing, the classifier's emergency intents are dropped from the ranking.

2. **Medical advice** (``advice`` patterns: doses, stopping or changing a
   treatment, symptoms, results, diets, vaccines), unless the message asks
   about a right: the intent becomes ``hors_sujet`` (confidence 1.0).

3. **Distress** that is not an emergency (``distress`` patterns, or the
   detector's distress class): ``soutien_detresse`` when the classifier has
   nothing better than ``distress_below``, so that distress never gets a
   clarification menu.

Every decision is written to the parse data: ``emergency`` =
``{"intent", "category", "level", "source"}`` (or absent), and ``safety_rule``
= the id of the pattern or rule that decided (for logs and tests).  Button
payloads (``/intent{…}``) are the user's explicit choice and are left alone.

config.yml::

    - name: bot.components.emergency_guard.EmergencyGuard
      patterns: bot/components/emergency_patterns.yml   # relative to the project root
      intent: urgence               # the generic emergency intent; categories are urgence_<category>
      advice_intent: hors_sujet
      distress_intent: soutien_detresse
      distress_below: 0.6           # force distress only when the classifier is less sure than this
      classifier_trust: 0.5         # a classifier this sure of another topic makes a detector-only alarm "possible"
      recall: 0.9                   # out-of-fold recall kept by the "possible" threshold
      false_alarms: 0.005           # out-of-fold false alarms allowed at the "certain" threshold
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Pattern, Text, Tuple, Type

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.emergency_detector import EmergencyDetector, labelled, normalise
from contract import Intent

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
#: Parse-data key of the emergency decision, read by the front-door channel.
EMERGENCY_KEY = "emergency"
#: Parse-data key naming the pattern or rule that decided (logs and tests).
RULE_KEY = "safety_rule"
CERTAIN = "certain"
POSSIBLE = "possible"

__all__ = ["Assessment", "EmergencyGuard", "PatternFileError", "Patterns", "load_patterns", "normalise"]


class PatternFileError(ValueError):
    """The pattern file is missing or malformed."""


Compiled = List[Tuple[str, Pattern[str]]]


@dataclass(frozen=True)
class Patterns:
    #: ``[(category, id, regex)]``
    emergency: List[Tuple[str, str, Pattern[str]]]
    history: Compiled
    context: Compiled
    present: Compiled
    advice: Compiled
    advice_except: Compiled
    distress: Compiled


def _compile(path: Path, where: str, expressions: Any) -> Compiled:
    if not isinstance(expressions, list) or not expressions:
        raise PatternFileError(f"{path}: {where} must be a non-empty list of regular expressions")
    compiled: Compiled = []
    for index, expression in enumerate(expressions):
        try:
            compiled.append((f"{where}[{index}]", re.compile(rf"\b(?:{expression})\b")))
        except (re.error, TypeError) as exc:
            raise PatternFileError(f"{path}: {where}, pattern {index} ({expression!r}): {exc}") from exc
    return compiled


def load_patterns(path: Path) -> Patterns:
    """The pattern file, compiled; a bad file is an error naming the place of the fault."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PatternFileError(f"{path}: cannot read the patterns ({exc})") from exc
    raw = raw if isinstance(raw, dict) else {}
    categories = raw.get("emergency")
    if not isinstance(categories, dict) or not categories:
        raise PatternFileError(f"{path}: expected a non-empty mapping `emergency: {{category: {{group: [regex, …]}}}}`")
    emergency: List[Tuple[str, str, Pattern[str]]] = []
    for category, groups in categories.items():
        if not isinstance(groups, dict) or not groups:
            raise PatternFileError(f"{path}: category {category!r} must map groups to lists of regular expressions")
        for group, expressions in groups.items():
            for pattern_id, regex in _compile(path, f"{category}.{group}", expressions):
                emergency.append((str(category), pattern_id, regex))
    advice = raw.get("advice")
    if not isinstance(advice, dict):
        raise PatternFileError(f"{path}: expected `advice: {{request: [...], except: [...]}}`")
    return Patterns(
        emergency=emergency,
        history=_compile(path, "history", raw.get("history")),
        context=_compile(path, "context", raw.get("context")),
        present=_compile(path, "present", raw.get("present")),
        advice=_compile(path, "advice.request", advice.get("request")),
        advice_except=_compile(path, "advice.except", advice.get("except")),
        distress=_compile(path, "distress", raw.get("distress")),
    )


def first_match(patterns: Compiled, plain: str) -> Optional[str]:
    for pattern_id, regex in patterns:
        if regex.search(plain):
            return pattern_id
    return None


@dataclass
class Assessment:
    """What the guard makes of one text."""

    level: Optional[str] = None  # CERTAIN, POSSIBLE or None
    intent: Optional[str] = None  # the emergency intent (urgence_<category> or urgence)
    source: Optional[str] = None  # "pattern", "model" or "classifier"
    rule: Optional[str] = None
    lowered_by: Optional[str] = None  # the history/context pattern that lowered the alarm
    advice: Optional[str] = None  # the advice pattern that matched
    distress: Optional[str] = None  # the distress pattern (or "model") that matched
    probability: Optional[float] = None
    extra: Dict[str, Any] = field(default_factory=dict)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class EmergencyGuard(GraphComponent, IntentClassifier):
    """Emergencies by category (patterns + learned detector), medical advice and distress."""

    @classmethod
    def required_components(cls) -> List[Type]:
        # Trainable: Rasa checks requirements on the training graph too, where no intent
        # classifier feeds this node. Its place after the classifiers is set by config.yml.
        return []

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "patterns": "bot/components/emergency_patterns.yml",
            "intent": Intent.EMERGENCY,
            "advice_intent": "hors_sujet",
            "distress_intent": "soutien_detresse",
            "distress_below": 0.6,
            "classifier_trust": 0.5,
            "recall": 0.9,
            "false_alarms": 0.005,
            "folds": 5,
            "C": 10.0,
            "random_seed": 42,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        patterns: Patterns,
        detector: Optional[EmergencyDetector] = None,
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
    ) -> None:
        self.component_config = {**self.get_default_config(), **config}
        self.intent = str(self.component_config["intent"])
        self.advice_intent = str(self.component_config["advice_intent"])
        self.distress_intent = str(self.component_config["distress_intent"])
        self.patterns = patterns
        self.detector = detector
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def _patterns(cls, config: Dict[Text, Any]) -> Patterns:
        path = Path(config.get("patterns") or cls.get_default_config()["patterns"])
        return load_patterns(path if path.is_absolute() else ROOT / path)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmergencyGuard":
        return cls(config, cls._patterns(config), None, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "EmergencyGuard":
        detector = None
        try:
            with model_storage.read_from(resource) as directory:
                detector = EmergencyDetector.load(Path(directory))
        except (ValueError, FileNotFoundError):
            logger.warning("EmergencyGuard: no trained detector found, the patterns alone decide")
        return cls(config, cls._patterns(config), detector, model_storage, resource)

    # -- training -------------------------------------------------------------------------------

    def is_emergency_intent(self, intent: Optional[str]) -> bool:
        return bool(intent) and (intent == self.intent or str(intent).startswith(self.intent + "_"))

    def train(self, training_data: TrainingData) -> Resource:
        examples = [(str(m.get(TEXT)), str(m.get(INTENT))) for m in training_data.intent_examples if m.get(TEXT)]
        labels = labelled(examples, self.intent, self.distress_intent)
        emergency = sorted({label for label in labels if self.is_emergency_intent(label)})
        config = self.component_config
        try:
            self.detector = EmergencyDetector.train(
                [text for text, _ in examples],
                labels,
                emergency,
                self.distress_intent,
                recall=float(config["recall"]),
                false_alarms=float(config["false_alarms"]),
                folds=int(config["folds"]),
                c=float(config["C"]),
                seed=int(config["random_seed"]),
            )
        except ValueError as exc:
            logger.warning("EmergencyGuard: detector not trained (%s), the patterns alone decide", exc)
            return self._resource
        logger.info("EmergencyGuard: detector thresholds %s", self.detector.cross_validation)
        if self._model_storage is not None and self._resource is not None:
            with self._model_storage.write_to(self._resource) as directory:
                self.detector.save(Path(directory))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    # -- decision -------------------------------------------------------------------------------

    def assess(self, text: str, classified: Optional[str] = None, confidence: float = 0.0) -> Assessment:
        """The guard's view of ``text``; ``classified``: the intent classifier's top intent and its confidence."""
        plain = normalise(text)
        found = Assessment()
        lowered = first_match(self.patterns.history, plain)
        if lowered and first_match(self.patterns.present, plain):
            lowered = None  # told as history, but happening again now
        lowered = lowered or first_match(self.patterns.context, plain)
        found.lowered_by = lowered
        hit = None
        if not lowered:
            hit = next(((c, pid) for c, pid, regex in self.patterns.emergency if regex.search(plain)), None)
        score = self.detector.score(text) if self.detector is not None else None
        model_level = self.detector.level(score.emergency) if self.detector and score else None
        if score is not None:
            found.probability = score.emergency
        if lowered and score is not None and self.detector is not None:
            # Told as history or in context: only a detector sure beyond its "certain" threshold
            # (half-way between it and 1) still raises a possible alarm.
            model_level = POSSIBLE if score.emergency >= (1.0 + self.detector.high) / 2 else None
        if hit is not None:
            category, pattern_id = hit
            found.level, found.intent = CERTAIN, f"{self.intent}_{category}"
            found.source, found.rule = "pattern", pattern_id
        elif model_level is not None and score is not None:
            found.level, found.intent, found.source, found.rule = model_level, score.intent, "model", "detector"
        elif self.is_emergency_intent(classified) and not lowered:
            found.level, found.intent, found.source, found.rule = POSSIBLE, classified, "classifier", "classifier"
        if found.level == POSSIBLE and found.source == "model" and self.is_emergency_intent(classified) and not lowered:
            found.level = CERTAIN  # two signals agree
            found.intent = classified if classified != self.intent else found.intent
        advice = first_match(self.patterns.advice, plain)
        if found.source == "model" and found.level == CERTAIN:
            trusted = float(self.component_config["classifier_trust"])
            if (advice and not first_match(self.patterns.advice_except, plain)) or (
                classified and not self.is_emergency_intent(classified) and confidence >= trusted
            ):
                found.level = POSSIBLE  # the detector alone, against a sure classifier or an advice request
        if found.level != CERTAIN:
            if advice and not first_match(self.patterns.advice_except, plain):
                found.advice = advice
            elif not lowered:
                distress = first_match(self.patterns.distress, plain)
                if distress is None and score is not None and score.distress >= 0.5:
                    distress = "model"
                found.distress = distress
        return found

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/"):
                continue
            top = message.get(INTENT) or {}
            classified = top.get(INTENT_NAME_KEY)
            confidence = float(top.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
            found = self.assess(text, classified, confidence)
            if found.level == CERTAIN and found.intent:
                self._force(message, found.intent, found.rule)
            elif found.advice:
                self._force(message, self.advice_intent, found.advice)
            elif found.distress and (
                classified == self.distress_intent
                or confidence < float(self.component_config["distress_below"])
                or self.is_emergency_intent(classified)
            ):
                self._force(message, self.distress_intent, found.distress)
            elif found.lowered_by and found.level is None and self.is_emergency_intent(classified):
                self._drop_emergencies(message, found.lowered_by)
            if found.level and found.intent:
                category = found.intent[len(self.intent) + 1 :] if found.intent != self.intent else None
                message.set(
                    EMERGENCY_KEY,
                    {"intent": found.intent, "category": category, "level": found.level, "source": found.source},
                    add_to_output=True,
                )
        return messages

    @staticmethod
    def _force(message: Message, intent: str, rule: Optional[str]) -> None:
        forced = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [
            {**r, PREDICTED_CONFIDENCE_KEY: 0.0}
            for r in message.get(INTENT_RANKING_KEY) or []
            if r.get(INTENT_NAME_KEY) != intent
        ]
        message.set(INTENT, forced, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)
        message.set(RULE_KEY, rule, add_to_output=True)

    def _drop_emergencies(self, message: Message, rule: str) -> None:
        """The classifier said an emergency, but the message is history or context: its next topic."""
        ranking = [
            r for r in message.get(INTENT_RANKING_KEY) or [] if not self.is_emergency_intent(r.get(INTENT_NAME_KEY))
        ]
        if not ranking:
            return
        message.set(INTENT, dict(ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        message.set(RULE_KEY, rule, add_to_output=True)
