"""SpellingCorrector: typos mended against the training vocabulary, for the features only.

People write « travailer », « cnogés », « securite ».  A misspelled word has no
lemma the classifier knows, and the sentence embedding of a misspelled text
drifts.  At training time this component learns every word of the training
examples: its folded form (lower case, no accents), the spelling seen most often
and its lemma.  At inference, each word of 4 letters or more is looked up:

- a French word as written (a form or a lemma of the lemmatizer's tables of the
  spaCy model, ``fr_core_news_md``) is left alone: « jeûne » is not « jeune ».
  Word vectors would not do: they include frequent misspellings (« travailer »);
- its folded form is a training word: the training spelling is used
  (``securite`` -> ``sécurité``: the accents come back for the sentence embedding);
- otherwise, when exactly one training word is one typo away from it (a letter
  left out, added, changed, or two neighbours swapped), that word is used.

The result is written to three attributes of the message, never to its text:
``corrected_text`` (read by ``SentenceEmbeddingFeaturizer`` and by the character
block of ``LinearIntentClassifier``), ``corrected_lemmas``, one per token (read
by the classifier's lemma block), and ``corrected_spans``, the mended words by
their place in the text as written (read by ``LexiconEntityExtractor``, so that
« patient expret » is still the role ``patient_expert``, at the span the person
wrote).  What the person wrote, and what the forms and actions read, is
unchanged.  Button payloads (``/intent{...}``) are left alone.

Why: chosen by 5-fold cross-validation (README, *Performance*): on the assistant's
own training data with typos injected into the validation folds
(``benchmarks/nlu/screen_spelling.py``), top-1 accuracy rose from 0.804 to 0.825,
and from 0.830 to 0.832 on clean messages.

Persistence: the vocabulary is written as JSON (no pickle).

config.yml (after the tokenizer, before the featurizers)::

    - name: bot.components.spelling.SpellingCorrector
      min_length: 4             # shorter words are never corrected
      model: fr_core_news_md    # whose lemmatizer tables tell French words (loaded once per process)
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set, Text, Tuple, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.spacy_nlp import DEFAULT_EXCLUDE, already_loaded, load_shared
from contract.text import fold

logger = logging.getLogger(__name__)

CORRECTED_TEXT = "corrected_text"
CORRECTED_LEMMAS = "corrected_lemmas"
#: ``[(start, end, spelling), …]``: the mended words, by their place in the text as written.
CORRECTED_SPANS = "corrected_spans"
VOCABULARY_FILE = "vocabulary.json"


class FrenchWords:
    """The words of the spaCy model's lemmatizer tables: every inflected form and every lemma it knows."""

    def __init__(self, forms: Any, lemmas: Set[str]) -> None:
        self.forms = forms  # a spaCy lookups Table: ``in`` takes a string
        self.lemmas = lemmas

    @classmethod
    def of(cls, model_name: str) -> "FrenchWords":
        # The copy SharedSpacyNLP loaded, whatever its ``exclude``: never a second copy of the model.
        language = (already_loaded(model_name, "lemmatizer") or load_shared(model_name, DEFAULT_EXCLUDE)).model
        tables = language.get_pipe("lemmatizer").lookups
        index = tables.get_table("lemma_index") if tables.has_table("lemma_index") else {}
        lemmas = {word for pos in index.keys() for word in index[pos]}
        forms = tables.get_table("lemma_lookup") if tables.has_table("lemma_lookup") else {}
        return cls(forms, lemmas)

    def __contains__(self, word: str) -> bool:
        word = word.casefold()
        return word in self.lemmas or word in self.forms


def deletes(word: str) -> Set[str]:
    """``word`` with one letter left out, every way."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_typo_apart(a: str, b: str) -> bool:
    """True when ``b`` is ``a`` with one letter left out, added or changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return shorter in deletes(longer)


class Vocabulary:
    """Folded word -> (spelling, lemma), with an index of one-letter deletions for the typo look-up."""

    def __init__(self, words: Dict[str, Tuple[str, str]], min_length: int) -> None:
        self.words = words
        self.min_length = min_length
        self.index: Dict[str, Set[str]] = defaultdict(set)
        for key in words:
            if len(key) >= min_length:
                self.index[key].add(key)
                for deleted in deletes(key):
                    self.index[deleted].add(key)

    @classmethod
    def learn(cls, pairs: Iterable[Tuple[str, str]], min_length: int) -> "Vocabulary":
        """From (word as written, lemma) pairs: for each folded word, its most frequent spelling and lemma."""
        spellings: Dict[str, Counter[str]] = defaultdict(Counter)
        lemmas: Dict[str, Counter[str]] = defaultdict(Counter)
        for word, lemma in pairs:
            if word.isalpha():
                spellings[fold(word)][word.casefold()] += 1
                lemmas[fold(word)][fold(lemma or word)] += 1
        words = {
            key: (spellings[key].most_common(1)[0][0], lemmas[key].most_common(1)[0][0]) for key in sorted(spellings)
        }
        return cls(words, min_length)

    def correction(self, word: str, known: bool) -> Optional[Tuple[str, str]]:
        """(spelling, lemma) to use for ``word``, or None to keep it; ``known``: the language model knows it."""
        key = fold(word)
        if known or not word.isalpha() or len(key) < self.min_length:
            return None
        if key in self.words:
            return self.words[key]
        candidates = {c for probe in {key, *deletes(key)} for c in self.index.get(probe, ()) if one_typo_apart(key, c)}
        if len(candidates) != 1:
            return None
        return self.words[candidates.pop()]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SpellingCorrector(GraphComponent):
    """Writes ``corrected_text`` and ``corrected_lemmas``: the message with its typos mended."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_length": 4, "model": "fr_core_news_md"}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: Optional[Vocabulary] = None,
        french: Optional[FrenchWords] = None,
    ) -> None:
        self.component_config = {**self.get_default_config(), **config}
        min_length = self.component_config["min_length"]
        if not isinstance(min_length, int) or min_length < 2:
            raise ValueError(f"SpellingCorrector: min_length must be an integer of at least 2, not {min_length!r}")
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary
        self.french = french if french is not None else FrenchWords.of(str(self.component_config["model"]))

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SpellingCorrector":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        pairs = [
            (token.text, token.lemma or token.text)
            for message in training_data.training_examples
            if message.get(TEXT)
            for token in message.get(TOKENS_NAMES[TEXT]) or []
        ]
        self.vocabulary = Vocabulary.learn(pairs, int(self.component_config["min_length"]))
        with self._model_storage.write_to(self._resource) as directory:
            words = {key: list(value) for key, value in self.vocabulary.words.items()}
            (Path(directory) / VOCABULARY_FILE).write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
        logger.info("SpellingCorrector: %d words learned", len(self.vocabulary.words))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "SpellingCorrector":
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((Path(directory) / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("SpellingCorrector: no trained vocabulary found, the component does nothing")
            return component
        min_length = int(component.component_config["min_length"])
        component.vocabulary = Vocabulary({key: (str(v[0]), str(v[1])) for key, v in words.items()}, min_length)
        return component

    def correct(self, message: Message) -> None:
        text = message.get(TEXT)
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        if self.vocabulary is None or not text or str(text).startswith("/") or not tokens:
            return
        pieces: List[str] = []
        lemmas: List[str] = []
        spans: List[Tuple[int, int, str]] = []
        cursor = 0
        for token in tokens:
            found = self.vocabulary.correction(token.text, known=token.text in self.french)
            lemma = token.lemma or token.text
            if found is not None and found[0] != token.text.casefold():
                pieces += [text[cursor : token.start], found[0]]
                cursor = token.end
                lemma = found[1]
                spans.append((token.start, token.end, found[0]))
            lemmas.append(lemma)
        pieces.append(text[cursor:])
        message.set(CORRECTED_TEXT, "".join(pieces))
        message.set(CORRECTED_LEMMAS, lemmas)
        message.set(CORRECTED_SPANS, spans)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self.correct(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
