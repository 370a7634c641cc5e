"""bot/components/folds.py: cross-validation folds fitted in worker processes give the loop's results."""

from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.sparse

from bot.components import folds
from bot.components.emergency_detector import EmergencyDetector


def jobs() -> list[tuple[object, ...]]:
    rng = np.random.default_rng(0)
    features = scipy.sparse.csr_matrix(rng.random((60, 12)))
    labels = [f"c{i % 3}" for i in range(60)]
    params = {"C": 0.3, "max_iter": 2000, "random_state": 42}
    return [
        ("linear_svm", params, features[:40], labels[:40], features[40:]),
        ("logistic", params, features[20:], labels[20:], features[:20]),
        ("linear_svm", params, features[::2], labels[::2], features[1::2]),
    ]


def test_workers_are_one_per_core_at_most_one_per_job() -> None:
    assert folds.workers(5) == min(5, os.cpu_count() or 1)
    assert folds.workers(1) == 1


def test_folds_in_workers_give_the_loop_s_results_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    in_workers = folds.map_folds(folds.fold_scores, jobs())
    monkeypatch.setattr(folds, "workers", lambda count: 1)
    in_a_loop = folds.map_folds(folds.fold_scores, jobs())
    assert [classes for classes, _ in in_workers] == [classes for classes, _ in in_a_loop]
    for (_, ours), (_, theirs) in zip(in_workers, in_a_loop, strict=True):
        assert ours.shape == theirs.shape and np.allclose(ours, theirs)


def test_the_emergency_detector_s_thresholds_do_not_depend_on_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [f"il ne respire plus depuis {i} minutes" for i in range(12)] + [
        f"comment obtenir mon dossier médical numéro {i}" for i in range(24)
    ]
    labels = ["urgence"] * 12 + ["none"] * 24
    parallel = EmergencyDetector.train(texts, labels, ["urgence"], folds=4)
    monkeypatch.setattr(folds, "workers", lambda count: 1)
    sequential = EmergencyDetector.train(texts, labels, ["urgence"], folds=4)
    assert (parallel.low, parallel.high) == (sequential.low, sequential.high)
    assert parallel.cross_validation == sequential.cross_validation
