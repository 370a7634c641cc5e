"""LinearIntentClassifier: a regularised linear intent classifier on spaCy lemmas, characters and vectors.

Why: on small, long, paraphrased French questions DIET (a neural network trained
from scratch on a few hundred examples) over-fits its count features.  A
logistic regression on TF-IDF weighted features does better there, and it uses
what ``fr_core_news_md`` offers:

- **lemmas** (``SpacyTokenizer``): a TF-IDF bag of lemmas (``congés`` and
  ``congé`` are one feature), accents dropped, sub-linear term frequency;
- **characters**: TF-IDF of ``char_wb`` 1–4-grams of the lower-cased text
  without accents, which survives typos and missing accents;
- **vectors and stop words** (``SpacyNLP``): the mean word vector of the
  message's content words (stop words and punctuation left out), L2-normalised.

The three blocks are stacked and a multinomial ``LogisticRegression`` (scikit-learn)
gives a probability per intent.  The component runs after ``DIETClassifier``
(which stays for the entities): with ``diet_weight`` w, the final probability of
an intent is ``(1 - w) · linear + w · DIET`` (DIET's ranking, so set its
``ranking_length: 0`` to get every intent), and the message's ``intent`` and
``intent_ranking`` are replaced.  Texts starting with ``/`` (button payloads)
are left alone.

Persistence: vocabularies and weights are written as JSON and ``.npy`` arrays
(no pickle).

config.yml::

    - name: bot.components.linear_intent.LinearIntentClassifier
      C: 10                # inverse regularisation strength
      diet_weight: 0.0     # 0: the linear model decides; 1: DIET decides
      ranking_length: 10
      random_seed: 42
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple, Type

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from contract.text import strip_accents

logger = logging.getLogger(__name__)

WORD_PATTERN = r"(?u)\b\w+\b"
WEIGHTS_FILE = "weights.npz"
META_FILE = "meta.json"


def lemma_text(message: Message) -> str:
    """The message's lemmas (or token texts), lower case, without accents, separated by spaces."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    words = [(token.lemma or token.text) for token in tokens]
    if not words:
        words = (message.get(TEXT) or "").split()
    return strip_accents(" ".join(words).casefold())


def char_text(message: Message) -> str:
    return " ".join(re.findall(r"\w+", strip_accents((message.get(TEXT) or "").casefold())))


def content_vector(message: Message, width: int) -> np.ndarray:
    """Mean vector of the content words (no stop words, no punctuation), L2-normalised; zeros without a doc."""
    doc = message.get(SPACY_DOCS[TEXT])
    if doc is None or width == 0:
        return np.zeros(width, dtype=np.float32)
    vectors = [t.vector for t in doc if t.has_vector and not t.is_stop and not t.is_punct]
    if not vectors:
        vectors = [t.vector for t in doc if t.has_vector]
    if not vectors:
        return np.zeros(width, dtype=np.float32)
    mean = np.mean(vectors, axis=0).astype(np.float32)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean


def vector_width(messages: Sequence[Message]) -> int:
    for message in messages:
        doc = message.get(SPACY_DOCS[TEXT])
        if doc is not None and doc.vocab.vectors_length:
            return int(doc.vocab.vectors_length)
    return 0


def fitted_tfidf(params: Dict[Text, Any], vocabulary: Dict[Text, int], idf: np.ndarray) -> TfidfVectorizer:
    vectorizer = TfidfVectorizer(**params)
    vectorizer.vocabulary_ = vocabulary
    vectorizer.idf_ = idf
    return vectorizer


WORD_PARAMS: Dict[Text, Any] = {"token_pattern": WORD_PATTERN, "sublinear_tf": True, "lowercase": False}
CHAR_PARAMS: Dict[Text, Any] = {"analyzer": "char_wb", "ngram_range": (1, 4), "sublinear_tf": True, "lowercase": False}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Logistic regression on TF-IDF lemmas, TF-IDF characters and content-word vectors."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"C": 10.0, "diet_weight": 0.0, "ranking_length": 10, "random_seed": 42, "max_iter": 3000}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        words: Optional[TfidfVectorizer] = None,
        chars: Optional[TfidfVectorizer] = None,
        width: int = 0,
        model: Optional[LogisticRegression] = None,
    ) -> None:
        self.component_config = {**self.get_default_config(), **config}
        weight = float(self.component_config["diet_weight"])
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"LinearIntentClassifier: diet_weight must be within [0, 1], not {weight}")
        self._model_storage = model_storage
        self._resource = resource
        self.words = words
        self.chars = chars
        self.width = width
        self.model = model

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    # -- features -------------------------------------------------------------------------------

    def features(self, messages: Sequence[Message]) -> scipy.sparse.csr_matrix:
        assert self.words is not None and self.chars is not None
        blocks = [
            self.words.transform([lemma_text(m) for m in messages]),
            self.chars.transform([char_text(m) for m in messages]),
        ]
        if self.width:
            blocks.append(scipy.sparse.csr_matrix(np.vstack([content_vector(m, self.width) for m in messages])))
        return scipy.sparse.hstack(blocks).tocsr()

    # -- training -------------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        labels = [str(m.get(INTENT)) for m in examples]
        if len(set(labels)) < 2:
            logger.warning("LinearIntentClassifier: fewer than two intents, nothing trained")
            return self._resource
        self.words = TfidfVectorizer(**WORD_PARAMS).fit([lemma_text(m) for m in examples])
        self.chars = TfidfVectorizer(**CHAR_PARAMS).fit([char_text(m) for m in examples])
        self.width = vector_width(examples)
        self.model = LogisticRegression(
            C=float(self.component_config["C"]),
            max_iter=int(self.component_config["max_iter"]),
            random_state=int(self.component_config["random_seed"]),
        )
        self.model.fit(self.features(examples), labels)
        self.persist()
        return self._resource

    def persist(self) -> None:
        assert self.words is not None and self.chars is not None and self.model is not None
        with self._model_storage.write_to(self._resource) as directory:
            meta = {
                "words": {term: int(index) for term, index in self.words.vocabulary_.items()},
                "chars": {term: int(index) for term, index in self.chars.vocabulary_.items()},
                "classes": [str(c) for c in self.model.classes_],
                "width": self.width,
            }
            (Path(directory) / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
            np.savez(
                Path(directory) / WEIGHTS_FILE,
                words_idf=self.words.idf_,
                chars_idf=self.chars.idf_,
                coef=self.model.coef_,
                intercept=self.model.intercept_,
            )

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LinearIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((Path(directory) / META_FILE).read_text(encoding="utf-8"))
                with np.load(Path(directory) / WEIGHTS_FILE, allow_pickle=False) as arrays:
                    weights = {name: arrays[name] for name in arrays.files}
        except (ValueError, FileNotFoundError):
            logger.warning("LinearIntentClassifier: no trained model found, the component does nothing")
            return cls(config, model_storage, resource)
        model = LogisticRegression()
        model.classes_ = np.array(meta["classes"])
        model.coef_ = weights["coef"]
        model.intercept_ = weights["intercept"]
        return cls(
            config,
            model_storage,
            resource,
            words=fitted_tfidf(WORD_PARAMS, meta["words"], weights["words_idf"]),
            chars=fitted_tfidf(CHAR_PARAMS, meta["chars"], weights["chars_idf"]),
            width=int(meta["width"]),
            model=model,
        )

    # -- inference ------------------------------------------------------------------------------

    def ranking(self, message: Message) -> List[Tuple[str, float]]:
        """``[(intent, probability), …]`` best first, DIET's ranking blended in by ``diet_weight``."""
        assert self.model is not None
        probabilities = self.model.predict_proba(self.features([message]))[0]
        weight = float(self.component_config["diet_weight"])
        scores = {str(c): (1.0 - weight) * float(p) for c, p in zip(self.model.classes_, probabilities, strict=True)}
        if weight > 0:
            for entry in message.get(INTENT_RANKING_KEY) or []:
                name = entry.get(INTENT_NAME_KEY)
                if name in scores:
                    scores[name] += weight * float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        return sorted(scores.items(), key=lambda item: -item[1])

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None:
            return messages
        length = int(self.component_config["ranking_length"])
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/"):
                continue
            ranked = self.ranking(message)
            if length > 0:
                ranked = ranked[:length]
            entries = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: score} for name, score in ranked]
            message.set(INTENT, entries[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, entries, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
