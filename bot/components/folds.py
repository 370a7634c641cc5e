"""Cross-validation folds fitted side by side, in worker processes.

The emergency detector's thresholds and the intent classifier's calibration are
both fitted on out-of-fold predictions: five independent fits each, which took
about 40 s of a training on one core (the solvers hold the GIL: threads gained
6 %).  ``map_folds`` runs them in ``joblib``'s process pool, one worker per
core; the results are the same as in a loop, in the same order.

The workers import this module and ``emergency_detector``, never Rasa (whose
import pulls in TensorFlow): keep the functions they run here or in modules as
light.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Sequence, Text, Tuple, Type, TypeVar, Union

import numpy as np
import scipy.sparse
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

Result = TypeVar("Result")

Model = Union[LogisticRegression, LinearSVC]

#: LinearIntentClassifier's ``model`` option.
MODELS: Dict[Text, Type[Any]] = {"logistic": LogisticRegression, "linear_svm": LinearSVC}


def workers(jobs: int) -> int:
    """Processes worth starting for ``jobs`` independent fits: one per core, at most one per job."""
    return max(1, min(jobs, os.cpu_count() or 1))


def map_folds(function: Callable[..., Result], jobs: Sequence[Tuple[Any, ...]]) -> List[Result]:
    """``[function(*job) for job in jobs]``, computed in worker processes when there are several cores."""
    count = workers(len(jobs))
    if count == 1:
        return [function(*job) for job in jobs]
    from joblib import Parallel, delayed

    results: List[Result] = Parallel(n_jobs=count, backend="loky")(delayed(function)(*job) for job in jobs)
    return results


def class_scores(model: Model, features: scipy.sparse.csr_matrix) -> np.ndarray:
    """One score per class, larger is likelier: log-probabilities (logistic) or margins (SVM)."""
    if isinstance(model, LogisticRegression):
        return np.asarray(model.predict_log_proba(features))
    margins = np.asarray(model.decision_function(features))
    if margins.ndim == 1:  # two classes: one margin, for the second class
        margins = np.column_stack([-margins / 2, margins / 2])
    return margins


def fold_scores(
    model_name: str,
    params: Dict[str, Any],
    train_features: scipy.sparse.csr_matrix,
    train_labels: List[str],
    test_features: scipy.sparse.csr_matrix,
) -> Tuple[List[str], np.ndarray]:
    """Fit ``MODELS[model_name](**params)`` on one fold; its classes and its scores on the held-out rows."""
    model = MODELS[model_name](**params).fit(train_features, train_labels)
    return [str(c) for c in model.classes_], class_scores(model, test_features)
