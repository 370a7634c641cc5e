"""EmergencyGuard: a deterministic safety net for the ``urgence`` intent.

A missed emergency is the one mistake the assistant must not make, and a
statistical classifier trained on a few dozen examples will miss some.  This
component runs after the intent classifier and before the FallbackClassifier:
when the message matches one of the emergency patterns (signs of a medical
emergency or of suicidal thoughts, in ``emergency_patterns.yml``), the intent
becomes ``urgence`` with confidence 1.0, whatever the classifier said.  When
nothing matches, the message is left untouched.

Patterns are regular expressions matched on the *normalised* text: lower case,
accents removed, every run of non-alphanumeric characters replaced by one space
(``J'ai avalé toute ma boîte`` -> ``j ai avale toute ma boite``).  The file is
read when the component is created (training and model loading), never at import.

config.yml::

    - name: bot.components.emergency_guard.EmergencyGuard
      patterns: bot/components/emergency_patterns.yml   # relative to the project root
      intent: urgence
"""

from __future__ import annotations

import re
import unicodedata
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

from contract import Intent

ROOT = Path(__file__).resolve().parents[2]
#: Message attribute naming the pattern that fired (for logs and tests).
MATCHED_KEY = "emergency_pattern"


class PatternFileError(ValueError):
    """The emergency pattern file is missing or malformed."""


def normalise(text: str) -> str:
    """Lower case, no accents, one space between words."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def load_patterns(path: Path) -> List[Tuple[str, Pattern[str]]]:
    """``[(id, compiled regex), …]`` from the YAML file; a bad file is an error naming the pattern."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PatternFileError(f"{path}: cannot read the emergency patterns ({exc})") from exc
    groups = (raw or {}).get("patterns")
    if not isinstance(groups, dict) or not groups:
        raise PatternFileError(f"{path}: expected a non-empty mapping `patterns: {{group: [regex, …]}}`")
    compiled: List[Tuple[str, Pattern[str]]] = []
    for group, expressions in groups.items():
        if not isinstance(expressions, list) or not expressions:
            raise PatternFileError(f"{path}: group {group!r} must be a non-empty list of regular expressions")
        for index, expression in enumerate(expressions):
            try:
                compiled.append((f"{group}[{index}]", re.compile(rf"\b(?:{expression})\b")))
            except (re.error, TypeError) as exc:
                raise PatternFileError(f"{path}: group {group!r}, pattern {index} ({expression!r}): {exc}") from exc
    return compiled


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmergencyGuard(GraphComponent, IntentClassifier):
    """Forces the emergency intent when the text matches an emergency pattern."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"patterns": "bot/components/emergency_patterns.yml", "intent": Intent.EMERGENCY}

    def __init__(self, config: Dict[Text, Any], patterns: List[Tuple[str, Pattern[str]]]) -> None:
        self.component_config = config
        self.intent = str(config["intent"])
        self.patterns = patterns

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmergencyGuard":
        path = Path(config["patterns"])
        return cls(config, load_patterns(path if path.is_absolute() else ROOT / path))

    def match(self, text: str) -> Optional[str]:
        """The id of the first pattern the text matches, or None."""
        plain = normalise(text)
        for pattern_id, pattern in self.patterns:
            if pattern.search(plain):
                return pattern_id
        return None

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            # Button payloads ("/intent{…}") are the user's explicit choice: left alone.
            if not text or text.startswith("/"):
                continue
            pattern_id = self.match(text)
            if pattern_id is None:
                continue
            forced = {INTENT_NAME_KEY: self.intent, PREDICTED_CONFIDENCE_KEY: 1.0}
            # The classifier's other candidates stay listed, at confidence 0, so the
            # FallbackClassifier never finds the forced intent ambiguous.
            ranking = [
                {**r, PREDICTED_CONFIDENCE_KEY: 0.0}
                for r in message.get(INTENT_RANKING_KEY) or []
                if r.get(INTENT_NAME_KEY) != self.intent
            ]
            message.set(INTENT, forced, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)
            message.set(MATCHED_KEY, pattern_id, add_to_output=True)
        return messages
