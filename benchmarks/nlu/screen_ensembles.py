"""Screening of other ways to use the sentence embedding, on a data set's TRAINING examples only.

    scripts/engine-python -m benchmarks.nlu.screen_ensembles [own|benchmark] [--folds 5]

5-fold stratified cross-validation, top-1 accuracy, no fallback, no calibration, no
safety net, no SpellingCorrector.  Variants:

- ``blend_w4``: the blocks of ``LinearIntentClassifier`` in config.yml (TF-IDF of lemmas,
  TF-IDF of character 1-4-grams, multilingual-e5-small x 4, linear SVM C 0.3);
- ``blend_w8``: the same, the embedding weighted 8;
- ``e5_svm_c1``, ``e5_logreg_c100``: the embedding alone;
- ``knn3_e5``: per intent, the mean cosine of the 3 nearest training examples;
- ``blend_knn_aN``: the SVM's margins plus N times the kNN scores.

``own`` is the assistant's ``data/nlu``; ``benchmark`` the external benchmark's training
file (its test file is never opened).  Prints one JSON line per variant.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from benchmarks.nlu.screen_spelling import arguments, examples, front_end

KNN_NEIGHBOURS = 3
KNN_WEIGHTS = (2.0, 5.0, 10.0)


def screen(texts: Sequence[str], labels: Sequence[str], n_folds: int) -> dict[str, float]:
    import numpy as np
    import scipy.sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    from bot.components.linear_intent import CHAR_PARAMS, WORD_PARAMS, char_text, lemma_text
    from bot.components.sentence_embeddings import default_encoder, encoded_text

    messages = front_end()(texts)
    encoder = default_encoder(2)
    encoded = [encoded_text(m) for m in messages]
    embeddings = np.vstack([np.asarray(encoder.query(encoded[i : i + 64])) for i in range(0, len(encoded), 64)])
    embeddings = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    lemmas = [lemma_text(m) for m in messages]
    characters = [char_text(m) for m in messages]
    gold = np.array(labels)

    right: dict[str, int] = {}

    def count(variant: str, predicted: Any, rows: Any) -> None:
        right[variant] = right.get(variant, 0) + int((predicted == gold[rows]).sum())

    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=42)
    for train, test in splitter.split(np.zeros(len(gold)), gold):
        words = TfidfVectorizer(**WORD_PARAMS).fit([lemmas[i] for i in train])
        chars = TfidfVectorizer(**CHAR_PARAMS).fit([characters[i] for i in train])

        def features(rows: Any, weight: float, words: Any = words, chars: Any = chars) -> Any:
            return scipy.sparse.hstack(
                [
                    words.transform([lemmas[i] for i in rows]),
                    chars.transform([characters[i] for i in rows]),
                    scipy.sparse.csr_matrix(weight * embeddings[rows]),
                ]
            ).tocsr()

        for weight in (4.0, 8.0):
            svm = LinearSVC(C=0.3, max_iter=3000, random_state=42).fit(features(train, weight), gold[train])
            margins = svm.decision_function(features(test, weight))
            count(f"blend_w{weight:g}", svm.classes_[margins.argmax(axis=1)], test)
            if weight != 4.0:
                continue
            similarities = embeddings[test] @ embeddings[train].T
            knn = np.zeros((len(test), len(svm.classes_)))
            for column, intent in enumerate(svm.classes_):
                nearest = np.sort(similarities[:, gold[train] == intent], axis=1)[:, ::-1][:, :KNN_NEIGHBOURS]
                knn[:, column] = nearest.mean(axis=1)
            count(f"knn{KNN_NEIGHBOURS}_e5", svm.classes_[knn.argmax(axis=1)], test)
            for alpha in KNN_WEIGHTS:
                count(f"blend_knn_a{alpha:g}", svm.classes_[(margins + alpha * knn).argmax(axis=1)], test)
        alone = LinearSVC(C=1.0, max_iter=3000, random_state=42).fit(embeddings[train], gold[train])
        count("e5_svm_c1", alone.predict(embeddings[test]), test)
        logreg = LogisticRegression(C=100, max_iter=3000).fit(embeddings[train], gold[train])
        count("e5_logreg_c100", logreg.predict(embeddings[test]), test)
    return {variant: round(n / len(gold), 4) for variant, n in right.items()}


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(__doc__, argv)
    started = time.perf_counter()
    texts, labels = examples(args.data)
    for variant, accuracy in screen(texts, labels, args.folds).items():
        print(json.dumps({"data": args.data, "examples": len(texts), "variant": variant, "accuracy": accuracy}))
    print(json.dumps({"seconds": round(time.perf_counter() - started)}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
