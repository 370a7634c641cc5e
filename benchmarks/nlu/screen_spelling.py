"""Screening of the SpellingCorrector on a data set's TRAINING examples only (engine env).

    scripts/engine-python -m benchmarks.nlu.screen_spelling [own|benchmark] [--folds 5]

5-fold stratified cross-validation of the intent classifier's features (TF-IDF of
lemmas, TF-IDF of character 1-4-grams, multilingual-e5-small x 4, linear SVM C 0.3: the
blocks of ``LinearIntentClassifier`` in config.yml, without its calibration and without
the safety net) with and without the project's ``SpellingCorrector`` (trained on each
training fold), on the validation folds as they are and with typos
(``benchmarks/nlu/typos.py``, seeded).  Top-1 accuracy, no fallback.  ``own`` is the
assistant's ``data/nlu``; ``benchmark`` the external benchmark's training file (its test
file is never opened).  Prints one JSON line per variant.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.nlu.run import DATA_DIR, ROOT, TRAIN_FILE, read_csv
from benchmarks.nlu.typos import inject_typos_all


def examples(name: str) -> tuple[list[str], list[str]]:
    if name == "benchmark":
        rows = read_csv(DATA_DIR / TRAIN_FILE)
        return [text for text, _ in rows], [intent for _, intent in rows]
    from rasa.shared.nlu.training_data.loading import load_data

    messages = [m for m in load_data(str(ROOT / "data" / "nlu")).intent_examples if m.get("text")]
    return [str(m.get("text")) for m in messages], [str(m.get("intent")) for m in messages]


def front_end() -> Callable[[Sequence[str]], list[Any]]:
    """Texts -> Rasa messages with their spaCy docs and tokens, as the pipeline of config.yml makes them."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
    from rasa.shared.nlu.training_data.message import Message

    from bot.components import spacy_nlp
    from bot.components.spacy_nlp import SharedSpacyNLP

    context = ExecutionContext(GraphSchema({}), "screen")
    model = spacy_nlp.load_shared("fr_core_news_md", spacy_nlp.DEFAULT_EXCLUDE)
    config = {**SharedSpacyNLP.get_default_config(), "model": "fr_core_news_md"}
    nlp = SharedSpacyNLP.create(config, None, None, context)  # type: ignore[arg-type]
    tokenizer = SpacyTokenizer.create(SpacyTokenizer.get_default_config(), None, None, context)  # type: ignore[arg-type]

    def messages(batch: Sequence[str]) -> list[Message]:
        built = [Message.build(text=text) for text in batch]
        nlp.process(built, model)
        tokenizer.process(built)
        return built

    return messages


def arguments(description: str | None, argv: Sequence[str] | None) -> argparse.Namespace:
    """``[own|benchmark] [--folds N]``, the command line of every screening."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", choices=["own", "benchmark"], nargs="?", default="own")
    parser.add_argument("--folds", type=int, default=5)
    return parser.parse_args(argv)


def screen(texts: Sequence[str], labels: Sequence[str], n_folds: int) -> dict[str, dict[str, float]]:
    import numpy as np
    import scipy.sparse
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    from bot.components.linear_intent import CHAR_PARAMS, WORD_PARAMS, char_text, lemma_text
    from bot.components.sentence_embeddings import default_encoder, encoded_text
    from bot.components.spelling import SpellingCorrector

    context = ExecutionContext(GraphSchema({}), "screen")
    messages = front_end()
    encoder = default_encoder(2)
    cache: dict[str, Any] = {}

    def embed(batch: Sequence[Message]) -> Any:
        todo = [encoded_text(m) for m in batch if encoded_text(m) not in cache]
        for start in range(0, len(todo), 64):
            chunk = todo[start : start + 64]
            for text, vector in zip(chunk, np.asarray(encoder.query(chunk)), strict=True):
                cache[text] = vector
        return np.vstack([cache[encoded_text(m)] for m in batch])

    noisy = inject_typos_all(texts)
    gold = np.array(labels)
    right = {variant: {"clean": 0, "typos": 0} for variant in ("without", "with")}
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=42)
    scratch = tempfile.mkdtemp(prefix="screen-spelling-")
    for fold, (train_rows, test_rows) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        train = messages([texts[i] for i in train_rows])
        for message, i in zip(train, train_rows, strict=True):
            message.set("intent", labels[i])
        (Path(scratch) / str(fold)).mkdir()
        storage = LocalModelStorage(Path(scratch) / str(fold))
        corrector = SpellingCorrector.create({}, storage, Resource("spelling"), context)
        corrector.train(TrainingData(train))
        words = TfidfVectorizer(**WORD_PARAMS).fit([lemma_text(m) for m in train])
        chars = TfidfVectorizer(**CHAR_PARAMS).fit([char_text(m) for m in train])

        def features(batch: Sequence[Message], words: Any = words, chars: Any = chars) -> Any:
            blocks = [words.transform([lemma_text(m) for m in batch]), chars.transform([char_text(m) for m in batch])]
            return scipy.sparse.hstack([*blocks, scipy.sparse.csr_matrix(4.0 * embed(batch))]).tocsr()

        classifier = LinearSVC(C=0.3, max_iter=3000, random_state=42).fit(features(train), gold[train_rows])
        for name, source in (("clean", texts), ("typos", noisy)):
            plain = messages([source[i] for i in test_rows])
            mended = corrector.process(messages([source[i] for i in test_rows]))
            for variant, batch in (("without", plain), ("with", mended)):
                right[variant][name] += int((classifier.predict(features(batch)) == gold[test_rows]).sum())
    return {variant: {k: round(v / len(texts), 4) for k, v in counts.items()} for variant, counts in right.items()}


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(__doc__, argv)
    started = time.perf_counter()
    texts, labels = examples(args.data)
    result = screen(texts, labels, args.folds)
    for variant, accuracy in result.items():
        print(json.dumps({"data": args.data, "examples": len(texts), "spelling_corrector": variant, **accuracy}))
    print(json.dumps({"seconds": round(time.perf_counter() - started)}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
