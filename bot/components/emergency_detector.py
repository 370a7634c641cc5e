"""The learned half of EmergencyGuard: how likely a message is an emergency, and of which category.

A multinomial logistic regression (scikit-learn) on TF-IDF word 1–2-grams and
``char_wb`` 2–5-grams of the normalised text (lower case, no accents, words
only), which survive typos, missing accents and SMS spelling.  Its classes are
the emergency intents (``urgence``, ``urgence_suicide``…), the distress intent,
and ``none`` for every other message.  Classes are weighted by their inverse
frequency, which favours recall on the rarer emergency classes.

The probability of an emergency is the sum of the emergency classes'
probabilities.  Two thresholds are chosen by cross-validation on the training
data alone (out-of-fold probabilities), never on the test sets:

- ``low`` ("possible"): the out-of-fold recall on the emergency examples is at least ``recall``;
- ``high`` ("certain"): at most ``false_alarms`` of the other examples reach it.

Persistence: vocabularies, classes and thresholds as JSON, weights as ``.npz``
arrays (no pickle).  Importable without Rasa (pure scikit-learn and numpy).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import scipy.sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from bot.components.folds import map_folds
from contract.text import fold

NONE = "none"
META_FILE = "emergency_detector.json"
WEIGHTS_FILE = "emergency_detector.npz"
WORD_PARAMS: Dict[str, Any] = {
    "token_pattern": r"(?u)\b\w+\b",
    "ngram_range": (1, 2),
    "sublinear_tf": True,
    "lowercase": False,
}
CHAR_PARAMS: Dict[str, Any] = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "lowercase": False}


def normalise(text: str) -> str:
    """Lower case, no accents, one space between words."""
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


@dataclass(frozen=True)
class Score:
    """``emergency``: probability of any emergency; ``intent``: its most likely emergency intent."""

    emergency: float
    intent: str
    distress: float


def _tfidf(params: Dict[str, Any], vocabulary: Dict[str, int], idf: np.ndarray) -> TfidfVectorizer:
    vectorizer = TfidfVectorizer(**params)
    vectorizer.vocabulary_ = vocabulary
    vectorizer.idf_ = idf
    return vectorizer


class EmergencyDetector:
    def __init__(
        self,
        words: TfidfVectorizer,
        chars: TfidfVectorizer,
        model: LogisticRegression,
        emergency_classes: Sequence[str],
        distress_class: Optional[str],
        low: float,
        high: float,
        cross_validation: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.words = words
        self.chars = chars
        self.model = model
        self.classes = [str(c) for c in model.classes_]
        self.emergency_index = [i for i, c in enumerate(self.classes) if c in set(emergency_classes)]
        self.distress_index = self.classes.index(distress_class) if distress_class in self.classes else None
        self.low = float(low)
        self.high = float(high)
        self.cross_validation = cross_validation or {}

    # -- training -------------------------------------------------------------------------------

    @staticmethod
    def _fit(texts: Sequence[str], labels: Any, c: float, seed: int) -> Tuple[Any, Any, LogisticRegression]:
        words = TfidfVectorizer(**WORD_PARAMS).fit(texts)
        chars = TfidfVectorizer(**CHAR_PARAMS).fit(texts)
        features = scipy.sparse.hstack([words.transform(texts), chars.transform(texts)]).tocsr()
        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=seed)
        model.fit(features, list(labels))
        return words, chars, model

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        emergency_classes: Sequence[str],
        distress_class: Optional[str] = None,
        *,
        recall: float = 0.98,
        false_alarms: float = 0.01,
        folds: int = 5,
        c: float = 10.0,
        seed: int = 42,
    ) -> "EmergencyDetector":
        """Fit on every example; thresholds from out-of-fold probabilities (``folds``-fold cross-validation)."""
        plain = [normalise(t) for t in texts]
        y = np.array(labels)
        emergency = set(emergency_classes)
        is_emergency = np.array([label in emergency for label in labels])
        if is_emergency.sum() < folds or (~is_emergency).sum() < folds:
            raise ValueError("too few emergency or ordinary examples to train the emergency detector")
        out_of_fold = np.zeros(len(plain))
        # Stratified on emergency vs not, so that every fold holds emergencies of each kind in proportion.
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        splits = list(splitter.split(plain, is_emergency))
        jobs = [
            (
                [plain[i] for i in train_index],
                y[train_index],
                [plain[i] for i in test_index],
                c,
                seed,
                list(emergency_classes),
                distress_class,
            )
            for train_index, test_index in splits
        ]
        for (_, test_index), probabilities in zip(splits, map_folds(out_of_fold_probability, jobs), strict=True):
            out_of_fold[test_index] = probabilities
        positives = out_of_fold[is_emergency]
        negatives = out_of_fold[~is_emergency]
        low = float(np.quantile(positives, 1.0 - recall))
        high = max(float(np.quantile(negatives, 1.0 - false_alarms)), low)
        report = {
            "folds": folds,
            "examples": len(plain),
            "emergencies": int(is_emergency.sum()),
            "recall_target": recall,
            "false_alarm_target": false_alarms,
            "low": low,
            "high": high,
            "oof_recall_possible": float((positives >= low).mean()),
            "oof_recall_certain": float((positives >= high).mean()),
            "oof_false_alarms_possible": float((negatives >= low).mean()),
            "oof_false_alarms_certain": float((negatives >= high).mean()),
        }
        words, chars, model = cls._fit(plain, y, c, seed)
        return cls(words, chars, model, emergency_classes, distress_class, low, high, report)

    # -- inference ------------------------------------------------------------------------------

    def _features(self, plain: Sequence[str]) -> scipy.sparse.csr_matrix:
        return scipy.sparse.hstack([self.words.transform(plain), self.chars.transform(plain)]).tocsr()

    def emergency_probability(self, plain: Sequence[str]) -> np.ndarray:
        probabilities = self.model.predict_proba(self._features(plain))
        return np.asarray(probabilities[:, self.emergency_index].sum(axis=1))

    def score(self, text: str) -> Score:
        probabilities = self.model.predict_proba(self._features([normalise(text)]))[0]
        best = max(self.emergency_index, key=lambda i: probabilities[i])
        distress = float(probabilities[self.distress_index]) if self.distress_index is not None else 0.0
        return Score(float(probabilities[self.emergency_index].sum()), self.classes[best], distress)

    def level(self, probability: float) -> Optional[str]:
        if probability >= self.high:
            return "certain"
        if probability >= self.low:
            return "possible"
        return None

    # -- persistence ----------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        emergency = [self.classes[i] for i in self.emergency_index]
        distress = self.classes[self.distress_index] if self.distress_index is not None else None
        meta = {
            "words": {term: int(index) for term, index in self.words.vocabulary_.items()},
            "chars": {term: int(index) for term, index in self.chars.vocabulary_.items()},
            "classes": self.classes,
            "emergency_classes": emergency,
            "distress_class": distress,
            "low": self.low,
            "high": self.high,
            "cross_validation": self.cross_validation,
        }
        (directory / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        np.savez(
            directory / WEIGHTS_FILE,
            words_idf=self.words.idf_,
            chars_idf=self.chars.idf_,
            coef=self.model.coef_,
            intercept=self.model.intercept_,
        )

    @classmethod
    def load(cls, directory: Path) -> "EmergencyDetector":
        """Raises FileNotFoundError when nothing was saved in ``directory``."""
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as arrays:
            weights = {name: arrays[name] for name in arrays.files}
        model = LogisticRegression()
        model.classes_ = np.array(meta["classes"])
        model.coef_ = weights["coef"]
        model.intercept_ = weights["intercept"]
        return cls(
            _tfidf(WORD_PARAMS, meta["words"], weights["words_idf"]),
            _tfidf(CHAR_PARAMS, meta["chars"], weights["chars_idf"]),
            model,
            meta["emergency_classes"],
            meta["distress_class"],
            meta["low"],
            meta["high"],
            meta.get("cross_validation"),
        )


def labelled(examples: Sequence[Tuple[str, str]], emergency_prefix: str, distress: Optional[str]) -> List[str]:
    """The detector's label of each ``(text, intent)``: the intent for emergencies and distress, else ``none``."""
    out = []
    for _, intent in examples:
        if intent == emergency_prefix or intent.startswith(emergency_prefix + "_") or intent == distress:
            out.append(intent)
        else:
            out.append(NONE)
    return out


def out_of_fold_probability(
    train: List[str],
    labels: Any,
    test: List[str],
    c: float,
    seed: int,
    emergency_classes: List[str],
    distress_class: Optional[str],
) -> np.ndarray:
    """Fit on one fold's training rows; the emergency probability of its held-out rows (a worker's job)."""
    words, chars, model = EmergencyDetector._fit(train, labels, c, seed)
    probe = EmergencyDetector(words, chars, model, emergency_classes, distress_class, 0.5, 0.5)
    return probe.emergency_probability(test)
