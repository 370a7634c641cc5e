"""LexiconEntityExtractor: entities from closed lists, without a neural network.

The assistant's entities are closed lists: the roles (``role``: ``patient_expert``,
``representant_usagers``…) and the fields of a form (``champ``: ``email``,
``telephone``…).  This component learns, at training time, every phrase that
names a value:

- the annotated entities of the training data (``[RU]{"entity": "role", "value":
  "representant_usagers"}``), their value resolved through the data's synonyms;
- the synonyms themselves, for the entity type whose values they name;
- optionally, knowledge files (``knowledge:``), e.g. every ``role.*`` entry's
  title and aliases for the entity ``role``, so that a new alias written in
  ``knowledge/`` is understood after the next training.

At inference it finds these phrases in the text, leftmost and longest first, on
words folded the same way on both sides: lower case, no accents, a final
``s``/``x`` and then a final ``e`` dropped (``Patientes expertes`` finds
``patient expert``).  It outputs the canonical value (no synonym mapping needed)
with the character span of the original text.  Where the ``SpellingCorrector``
mended a word (``corrected_spans``: « patient expret »), the mended word is
matched, and the span stays the one the person wrote.

``only_with_intents`` keeps an entity type only when the message's intent is one
of those listed: a field name (« nom », « numéro ») names a field to correct only
in a correction (``corriger``), not in any sentence.  Place the component after
the intent classifier for that.  Button payloads (``/intent{...}``) are left alone.

config.yml::

    - name: bot.components.lexicon_entities.LexiconEntityExtractor
      knowledge:
        role: {file: knowledge/content/roles.yml, prefix: "role."}
      only_with_intents:
        champ: [corriger]
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple, Type

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_NAME_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.spelling import CORRECTED_SPANS

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
LEXICON_FILE = "lexicon.json"
WORD = re.compile(r"\w+")

#: (entity type, folded words) -> canonical value
Lexicon = Dict[Tuple[str, Tuple[str, ...]], str]


class LexiconConfigError(ValueError):
    """A knowledge file named in the config is missing or malformed."""


def fold_word(word: str) -> str:
    """Lower case, no accents, then a final ``s``/``x`` and a final ``e`` dropped on longer words."""
    plain = unicodedata.normalize("NFKD", word.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    if len(plain) > 3 and plain[-1] in "sx":
        plain = plain[:-1]
    if len(plain) > 4 and plain.endswith("e"):
        plain = plain[:-1]
    return plain


#: (start, end) of a word in the text as written -> its mended spelling
Corrections = Dict[Tuple[int, int], str]


def words(text: str, corrections: Optional[Corrections] = None) -> List[Tuple[str, int, int]]:
    """``[(folded word, start, end), …]`` with the spans of the original text, mended words read as mended."""
    mended = corrections or {}
    return [(fold_word(mended.get(m.span(), m.group())), m.start(), m.end()) for m in WORD.finditer(text)]


def corrections_of(message: Message) -> Corrections:
    """The ``SpellingCorrector``'s mended words of ``message`` (none without the corrector)."""
    return {(int(start), int(end)): str(spelling) for start, end, spelling in message.get(CORRECTED_SPANS) or []}


def phrase_key(text: str) -> Tuple[str, ...]:
    return tuple(word for word, _, _ in words(text))


def knowledge_phrases(path: Path, prefix: str) -> Iterable[Tuple[str, str]]:
    """``(phrase, value)`` for the title and aliases of every entry whose id starts with ``prefix``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconConfigError(f"{path}: cannot read the knowledge file ({exc})") from exc
    entries = (raw or {}).get("entries")
    if not isinstance(entries, list):
        raise LexiconConfigError(f"{path}: expected `entries: [...]`")
    for entry in entries:
        entry_id = str(entry.get("id", ""))
        if not entry_id.startswith(prefix):
            continue
        value = entry_id[len(prefix) :]
        title = re.sub(r"\s*\([^)]*\)\s*$", "", str(entry.get("title", "")))  # « Représentant des usagers (RU) »
        for phrase in [title, *(entry.get("aliases") or [])]:
            yield str(phrase), value


def learn(training_data: TrainingData, knowledge: Dict[str, Dict[str, str]], root: Path = ROOT) -> Lexicon:
    """Every phrase of the training data's entities, of its synonyms and of the knowledge files."""
    synonyms = {k.casefold(): v for k, v in training_data.entity_synonyms.items()}
    lexicon: Lexicon = {}
    values: Dict[str, set] = {}
    for message in training_data.entity_examples:
        text = message.get(TEXT) or ""
        for entity in message.get(ENTITIES) or []:
            kind = str(entity[ENTITY_ATTRIBUTE_TYPE])
            phrase = text[entity[ENTITY_ATTRIBUTE_START] : entity[ENTITY_ATTRIBUTE_END]]
            value = str(entity.get(ENTITY_ATTRIBUTE_VALUE, phrase))
            value = synonyms.get(value.casefold(), value)
            values.setdefault(kind, set()).add(value)
            key = phrase_key(phrase)
            if key:
                lexicon.setdefault((kind, key), value)
    for phrase, value in training_data.entity_synonyms.items():
        for kind, known in values.items():
            if value in known and phrase_key(phrase):
                lexicon.setdefault((kind, phrase_key(phrase)), value)
    for kind, source in knowledge.items():
        path = Path(source["file"])
        for phrase, value in knowledge_phrases(path if path.is_absolute() else root / path, source.get("prefix", "")):
            if phrase_key(phrase):
                lexicon.setdefault((kind, phrase_key(phrase)), value)
    return lexicon


def find(lexicon: Lexicon, text: str, corrections: Optional[Corrections] = None) -> List[Dict[Text, Any]]:
    """The lexicon's phrases in ``text``, leftmost-longest, without overlaps."""
    tokens = words(text, corrections)
    longest = max((len(key) for _, key in lexicon), default=0)
    by_key: Dict[Tuple[str, ...], List[Tuple[str, str]]] = {}
    for (kind, key), value in lexicon.items():
        by_key.setdefault(key, []).append((kind, value))
    found: List[Dict[Text, Any]] = []
    index = 0
    while index < len(tokens):
        for size in range(min(longest, len(tokens) - index), 0, -1):
            key = tuple(word for word, _, _ in tokens[index : index + size])
            if key in by_key:
                start, end = tokens[index][1], tokens[index + size - 1][2]
                for kind, value in by_key[key]:
                    found.append(
                        {
                            ENTITY_ATTRIBUTE_TYPE: kind,
                            ENTITY_ATTRIBUTE_START: start,
                            ENTITY_ATTRIBUTE_END: end,
                            ENTITY_ATTRIBUTE_VALUE: value,
                            "confidence_entity": 1.0,
                        }
                    )
                index += size
                break
        else:
            index += 1
    return found


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LexiconEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Finds the phrases of closed entity lists (learned from the training data and knowledge files)."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return []

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"knowledge": {}, "only_with_intents": {}}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        lexicon: Optional[Lexicon] = None,
    ) -> None:
        self.component_config = {**self.get_default_config(), **config}
        for kind, source in (self.component_config["knowledge"] or {}).items():
            if not isinstance(source, dict) or "file" not in source:
                raise LexiconConfigError(f"LexiconEntityExtractor: knowledge.{kind} needs a `file`")
        self._model_storage = model_storage
        self._resource = resource
        self.lexicon: Lexicon = lexicon or {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LexiconEntityExtractor":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        self.lexicon = learn(training_data, dict(self.component_config["knowledge"] or {}))
        with self._model_storage.write_to(self._resource) as directory:
            rows = [[kind, list(key), value] for (kind, key), value in sorted(self.lexicon.items())]
            (Path(directory) / LEXICON_FILE).write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LexiconEntityExtractor":
        try:
            with model_storage.read_from(resource) as directory:
                rows = json.loads((Path(directory) / LEXICON_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("LexiconEntityExtractor: no lexicon found, the component finds nothing")
            return cls(config, model_storage, resource)
        lexicon = {(str(kind), tuple(key)): str(value) for kind, key, value in rows}
        return cls(config, model_storage, resource, lexicon)

    def allowed(self, kind: str, message: Message) -> bool:
        intents: Optional[Sequence[str]] = (self.component_config["only_with_intents"] or {}).get(kind)
        if intents is None:
            return True
        return (message.get(INTENT) or {}).get(INTENT_NAME_KEY) in intents

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or str(text).startswith("/"):
                continue
            found = find(self.lexicon, str(text), corrections_of(message))
            entities = [e for e in found if self.allowed(e[ENTITY_ATTRIBUTE_TYPE], message)]
            if entities:
                entities = self.add_extractor_name(entities)
                message.set(ENTITIES, [*(message.get(ENTITIES) or []), *entities], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
