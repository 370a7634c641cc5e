"""LinearIntentClassifier: a calibrated linear intent classifier on lemmas, characters and sentence embeddings.

Why: on small, long, paraphrased French questions a neural network trained from
scratch on a few hundred examples (DIET) over-fits its count features, and takes
minutes to train.  A logistic regression on well-chosen features does better and
trains in seconds.  Its feature blocks:

- **lemmas** (``SpacyTokenizer``): a TF-IDF bag of lemmas (``congés`` and
  ``congé`` are one feature), accents dropped, sub-linear term frequency;
- **characters**: TF-IDF of ``char_wb`` 1–4-grams of the lower-cased text
  without accents, which survives typos and missing accents;
- **dense sentence features** from the featurizers before it (``featurizers``;
  in config.yml the multilingual sentence embedding of
  ``sentence_embeddings.SentenceEmbeddingFeaturizer``), multiplied by
  ``dense_weight`` so that they are not drowned by the thousands of sparse columns;
- optionally (``spacy_vectors: true``) the mean ``fr_core_news_md`` vector of the
  content words (stop words and punctuation left out).

The blocks are stacked and a multinomial ``LogisticRegression`` (scikit-learn)
scores every intent.  **Calibration:** the scores go through a softmax at a
temperature fitted on out-of-fold predictions (``calibration_folds``-fold
cross-validation on the training data, minimum negative log-likelihood), so that a
confidence of 0.6 means "right about 60 % of the time" and one threshold in the
``FallbackClassifier`` can separate unsure from wrong.

An optional ``diet_weight`` w blends a ranking already on the message (DIET's,
when a DIETClassifier runs before): ``(1 - w) · linear + w · previous``.  The
message's ``intent`` and ``intent_ranking`` are replaced.  Texts starting with
``/`` (button payloads) are left alone.

Persistence: vocabularies, weights and the temperature are written as JSON and
``.npy`` arrays (no pickle).

config.yml::

    - name: bot.components.linear_intent.LinearIntentClassifier
      C: 0.3                 # inverse regularisation strength
      model: linear_svm      # or logistic (the default)
      dense_weight: 4.0      # weight of the dense sentence features (0, the default: not used)
      spacy_vectors: false   # the mean spaCy vector block (true by default)
      calibration_folds: 5   # 0 (the default): no calibration (temperature 1)
      diet_weight: 0.0       # 0: the linear model decides alone
      ranking_length: 10
      random_seed: 42
"""

from __future__ import annotations

import json
import logging
import random
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
from sklearn.model_selection import StratifiedKFold

from bot.components.folds import MODELS, Model, class_scores, fold_scores, map_folds
from bot.components.spelling import CORRECTED_LEMMAS, CORRECTED_TEXT
from contract.text import fold

logger = logging.getLogger(__name__)

WORD_PATTERN = r"(?u)\b\w+\b"
WEIGHTS_FILE = "weights.npz"
META_FILE = "meta.json"


def lemma_text(message: Message) -> str:
    """The message's lemmas (or token texts), lower case, without accents, separated by spaces.

    The lemmas of the ``SpellingCorrector``, when it ran, mend the typos.
    """
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    words = message.get(CORRECTED_LEMMAS) or [(token.lemma or token.text) for token in tokens]
    if not words:
        words = (message.get(TEXT) or "").split()
    return fold(" ".join(words))


def char_text(message: Message) -> str:
    """The words of the message (its typos mended by the ``SpellingCorrector``, when it ran), folded."""
    text = message.get(CORRECTED_TEXT) or message.get(TEXT) or ""
    return " ".join(re.findall(r"\w+", fold(text)))


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


#: AZERTY neighbours of each letter, for the typing slips of ``misspell``.
AZERTY_NEIGHBOURS = {
    "a": "zqs", "z": "aeqsd", "e": "zrsdf", "r": "etdfg", "t": "ryfgh", "y": "tughj", "u": "yihjk",
    "i": "uojkl", "o": "iplm", "p": "olm", "q": "azsw", "s": "qzedxw", "d": "serfxc", "f": "drtgcv",
    "g": "ftyhvb", "h": "gyujbn", "j": "huikn", "k": "jiol", "l": "kopm", "m": "lp", "w": "qsx",
    "x": "wsdc", "c": "xdfv", "v": "cfgb", "b": "vghn", "n": "bhj",
}


def misspell(text: str, rate: float, rng: random.Random) -> str:
    """``text`` with about ``rate`` of its words of 4 letters or more mistyped once.

    One slip per altered word: a neighbouring key, a letter left out, two letters
    swapped or a letter typed twice.  Used to train on noisy copies of the examples.
    """

    def slip(word: str) -> str:
        i = rng.randrange(len(word) - 1)
        kind = rng.randrange(4)
        if kind == 0 and word[i] in AZERTY_NEIGHBOURS:
            return word[:i] + rng.choice(AZERTY_NEIGHBOURS[word[i]]) + word[i + 1 :]
        if kind == 1:
            return word[:i] + word[i + 1 :]
        if kind == 2:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        return word[:i] + word[i] + word[i:]

    return " ".join(slip(w) if len(w) >= 4 and w.isalpha() and rng.random() < rate else w for w in text.split())


def fitted_tfidf(params: Dict[Text, Any], vocabulary: Dict[Text, int], idf: np.ndarray) -> TfidfVectorizer:
    vectorizer = TfidfVectorizer(**params)
    vectorizer.vocabulary_ = vocabulary
    vectorizer.idf_ = idf
    return vectorizer


def dense_sentence(message: Message, featurizers: List[Text], width: int) -> np.ndarray:
    """The message's dense sentence features (one row), or zeros when it has none."""
    _, sentence = message.get_dense_features(TEXT, featurizers)
    if sentence is None or width == 0:
        return np.zeros(width, dtype=np.float32)
    return np.asarray(sentence.features, dtype=np.float32).reshape(-1)[:width]


def dense_width(messages: Sequence[Message], featurizers: List[Text]) -> int:
    for message in messages:
        _, sentence = message.get_dense_features(TEXT, featurizers)
        if sentence is not None:
            return int(np.asarray(sentence.features).reshape(-1).shape[0])
    return 0


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of ``scores / temperature``."""
    scaled = scores / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


#: Temperatures tried by the calibration (log-spaced).
TEMPERATURES = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))


def fit_temperature(scores: np.ndarray, gold: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of the gold columns of ``scores``."""
    rows = np.arange(len(gold))
    best, best_nll = 1.0, np.inf
    for temperature in TEMPERATURES:
        probabilities = softmax(scores, float(temperature))
        nll = -float(np.mean(np.log(np.clip(probabilities[rows, gold], 1e-12, None))))
        if nll < best_nll:
            best, best_nll = float(temperature), nll
    return best


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
        return {
            "C": 10.0,
            "model": "logistic",
            "diet_weight": 0.0,
            "dense_weight": 0.0,
            "featurizers": [],
            "spacy_vectors": True,
            "calibration_folds": 0,
            "ranking_length": 10,
            "random_seed": 42,
            # Noisy copies of each example added to the final fit (misspell), and their word rate.
            "typo_copies": 0,
            "typo_rate": 0.15,
            "max_iter": 3000,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        words: Optional[TfidfVectorizer] = None,
        chars: Optional[TfidfVectorizer] = None,
        width: int = 0,
        model: Optional[Model] = None,
        dense: int = 0,
        temperature: float = 1.0,
    ) -> None:
        self.component_config = {**self.get_default_config(), **config}
        weight = float(self.component_config["diet_weight"])
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"LinearIntentClassifier: diet_weight must be within [0, 1], not {weight}")
        if self.component_config["model"] not in MODELS:
            raise ValueError(f"LinearIntentClassifier: model must be one of {sorted(MODELS)}")
        if float(self.component_config["dense_weight"]) < 0:
            raise ValueError("LinearIntentClassifier: dense_weight must not be negative")
        folds = self.component_config["calibration_folds"]
        if not isinstance(folds, int) or folds == 1 or folds < 0:
            raise ValueError(f"LinearIntentClassifier: calibration_folds must be 0 or at least 2, not {folds!r}")
        self._model_storage = model_storage
        self._resource = resource
        self.words = words
        self.chars = chars
        self.width = width
        self.model = model
        self.dense = dense
        self.temperature = temperature

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
        if self.dense:
            weight = float(self.component_config["dense_weight"])
            featurizers = list(self.component_config["featurizers"])
            rows = np.vstack([dense_sentence(m, featurizers, self.dense) for m in messages])
            blocks.append(scipy.sparse.csr_matrix(weight * rows))
        return scipy.sparse.hstack(blocks).tocsr()

    def model_params(self) -> Dict[Text, Any]:
        return {
            "C": float(self.component_config["C"]),
            "max_iter": int(self.component_config["max_iter"]),
            "random_state": int(self.component_config["random_seed"]),
        }

    def new_model(self) -> Model:
        model: Model = MODELS[self.component_config["model"]](**self.model_params())
        return model

    def calibrate(
        self,
        features: scipy.sparse.csr_matrix,
        labels: List[str],
        noisy: Sequence[scipy.sparse.csr_matrix] = (),
    ) -> float:
        """The softmax temperature fitted on out-of-fold scores; 1.0 when calibration is off or impossible.

        ``noisy`` are misspelled copies of ``features`` (row for row): each fold trains on its rows
        and their copies, as the final model does, so the temperature fits the model that serves.
        """
        folds = int(self.component_config["calibration_folds"])
        smallest = min(labels.count(label) for label in set(labels))
        folds = min(folds, smallest)
        if folds < 2:
            return 1.0
        classes = sorted(set(labels))
        gold = np.array([classes.index(label) for label in labels])
        scores = np.full((len(labels), len(classes)), -1e6)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=int(self.component_config["random_seed"]))
        splits = list(splitter.split(np.zeros(len(labels)), labels))
        name, params = str(self.component_config["model"]), self.model_params()
        jobs = [
            (
                name,
                params,
                scipy.sparse.vstack([features[train_rows], *(copy[train_rows] for copy in noisy)]).tocsr(),
                [labels[i] for i in train_rows] * (1 + len(noisy)),
                features[test_rows],
            )
            for train_rows, test_rows in splits
        ]
        for (_, test_rows), (fold_classes, fold_scores_) in zip(splits, map_folds(fold_scores, jobs), strict=True):
            columns = [classes.index(c) for c in fold_classes]
            scores[np.ix_(test_rows, columns)] = fold_scores_
        return fit_temperature(scores, gold)

    # -- training -------------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        labels = [str(m.get(INTENT)) for m in examples]
        if len(set(labels)) < 2:
            logger.warning("LinearIntentClassifier: fewer than two intents, nothing trained")
            return self._resource
        self.words = TfidfVectorizer(**WORD_PARAMS).fit([lemma_text(m) for m in examples])
        self.chars = TfidfVectorizer(**CHAR_PARAMS).fit([char_text(m) for m in examples])
        self.width = vector_width(examples) if self.component_config["spacy_vectors"] else 0
        if float(self.component_config["dense_weight"]) > 0:
            self.dense = dense_width(examples, list(self.component_config["featurizers"]))
        features = self.features(examples)
        noisy = self.typo_copies(examples, features, int(self.component_config["typo_copies"]))
        self.temperature = self.calibrate(features, labels, noisy)
        if noisy:
            features = scipy.sparse.vstack([features, *noisy]).tocsr()
            labels = labels * (1 + len(noisy))
        self.model = self.new_model().fit(features, labels)
        logger.info("LinearIntentClassifier: calibrated temperature %.3f", self.temperature)
        self.persist()
        return self._resource

    def typo_copies(
        self, examples: Sequence[Message], features: scipy.sparse.csr_matrix, copies: int
    ) -> List[scipy.sparse.csr_matrix]:
        """``copies`` misspelled copies of the training rows (lemmas and characters; dense rows kept)."""
        assert self.words is not None and self.chars is not None
        rng = random.Random(int(self.component_config["random_seed"]))  # noqa: S311 - training noise, not secrets
        rate = float(self.component_config["typo_rate"])
        n_sparse = len(self.words.vocabulary_) + len(self.chars.vocabulary_)
        kept = features[:, n_sparse:]
        return [
            scipy.sparse.hstack(
                [
                    self.words.transform([misspell(lemma_text(m), rate, rng) for m in examples]),
                    self.chars.transform([misspell(char_text(m), rate, rng) for m in examples]),
                    kept,
                ]
            ).tocsr()
            for _ in range(copies)
        ]

    def persist(self) -> None:
        assert self.words is not None and self.chars is not None and self.model is not None
        with self._model_storage.write_to(self._resource) as directory:
            meta = {
                "words": {term: int(index) for term, index in self.words.vocabulary_.items()},
                "chars": {term: int(index) for term, index in self.chars.vocabulary_.items()},
                "classes": [str(c) for c in self.model.classes_],
                "model": self.component_config["model"],
                "width": self.width,
                "dense": self.dense,
                "temperature": self.temperature,
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
        model: Model = MODELS[str(meta.get("model", "logistic"))]()
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
            dense=int(meta.get("dense", 0)),
            temperature=float(meta.get("temperature", 1.0)),
        )

    # -- inference ------------------------------------------------------------------------------

    def ranking(self, message: Message) -> List[Tuple[str, float]]:
        """``[(intent, probability), …]`` best first, DIET's ranking blended in by ``diet_weight``."""
        assert self.model is not None
        probabilities = softmax(class_scores(self.model, self.features([message])), self.temperature)[0]
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
                # A button's payload: Rasa's RegexMessageHandler reads its intent later in the graph;
                # until then an empty prediction keeps the FallbackClassifier from failing on it.
                if message.get(INTENT) is None:
                    message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
                    message.set(INTENT_RANKING_KEY, [], add_to_output=True)
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
