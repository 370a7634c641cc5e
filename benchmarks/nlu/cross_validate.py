"""K-fold cross-validation of NLU configs on the benchmark's TRAINING file only.

    scripts/engine-python -m benchmarks.nlu.cross_validate CONFIG [CONFIG ...] [--folds 5] [--epochs N]
                                                          [--out reports/benchmark-nlu-cv]

Used to choose changes to our pipeline without ever looking at the test file
(``test_dataset.csv`` is not even opened here).  Folds are stratified by intent and
seeded (the same folds for every config).  For each config: accuracy and macro-F1
pooled over the folds, as-is (``nlu_fallback`` or an intent outside the benchmark is
wrong — the headline) and on the top non-fallback intent, the accuracy as-is on the
same validation folds with typos (``benchmarks/nlu/typos.py``, seeded), plus per-fold
accuracies and the mean training time per fold.  Each config's result goes to ``<out>/<config stem>.json``
(one line is also appended to ``<out>/log.jsonl``); ``<out>/summary.md`` tabulates every
result present in ``<out>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.nlu.run import (
    DATA_DIR,
    REPORTS,
    ROOT,
    TRAIN_FILE,
    Example,
    Parsed,
    engine_environment,
    intent_mapping,
    load_pipeline,
    nlu_config,
    parse_all,
    read_csv,
    rename,
    summarise,
    train_model,
)
from benchmarks.nlu.typos import inject_typos_all

CV_OUT = REPORTS / "benchmark-nlu-cv"
SEED = 42

log = logging.getLogger("benchmarks.nlu.cv")


def folds(examples: Sequence[Example], n_folds: int, seed: int = SEED) -> list[tuple[list[int], list[int]]]:
    """Stratified (train indices, test indices) pairs, the same for every config."""
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    labels = [intent for _, intent in examples]
    return [(list(a), list(b)) for a, b in splitter.split([text for text, _ in examples], labels)]


def cross_validate(
    config_path: Path, examples: Sequence[Example], n_folds: int, epochs: int | None, workdir: Path
) -> dict[str, Any]:
    config = nlu_config(load_pipeline(config_path), epochs)
    gold: list[str] = []
    parsed: list[Parsed] = []
    typos_parsed: list[Parsed] = []
    fold_accuracies: list[float] = []
    train_seconds: list[float] = []
    for index, (train_idx, test_idx) in enumerate(folds(examples, n_folds), start=1):
        train = [examples[i] for i in train_idx]
        test = [examples[i] for i in test_idx]
        model, seconds = train_model(config, train, workdir / f"fold{index}", f"{config_path.stem}-fold{index}")
        fold_parsed = parse_all(model, [text for text, _ in test])
        typos_parsed += parse_all(model, inject_typos_all([text for text, _ in test]))
        fold_gold = [intent for _, intent in test]
        fold_accuracies.append(summarise(fold_gold, fold_parsed)["accuracy"])
        train_seconds.append(seconds)
        gold += fold_gold
        parsed += fold_parsed
        model.unlink(missing_ok=True)
        log.info(
            "%s fold %d/%d: accuracy %.3f (%.0f s)", config_path.name, index, n_folds, fold_accuracies[-1], seconds
        )
    pooled = summarise(gold, parsed)
    return {
        "config": str(config_path.relative_to(ROOT) if config_path.is_relative_to(ROOT) else config_path),
        "folds": n_folds,
        "epochs": epochs,
        "n_examples": len(examples),
        **pooled,
        "accuracy_typos": summarise(gold, typos_parsed)["accuracy"],
        "fold_accuracy": [round(a, 4) for a in fold_accuracies],
        "fold_accuracy_std": round(statistics.pstdev(fold_accuracies), 4),
        "train_seconds_per_fold": round(statistics.mean(train_seconds), 1),
        "pipeline": config["pipeline"],
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),  # noqa: UP017 (Python 3.10)
    }


def typos(result: dict[str, Any]) -> str:
    """The accuracy with typos; results written before it was measured have none."""
    value = result.get("accuracy_typos")
    return "—" if value is None else f"{value:.3f}"


def render_summary(results: Sequence[dict[str, Any]]) -> str:
    lines = [
        "# Cross-validation on the benchmark's training file (test file never used)",
        "",
        "| config | accuracy (as-is) | macro-F1 | accuracy, top non-fallback | fallback rate | with typos "
        "| fold accuracies | std | train s/fold | epochs |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(results, key=lambda r: -r["accuracy"]):
        lines.append(
            f"| `{r['config']}` | **{r['accuracy']:.3f}** | {r['macro_f1']:.3f} | {r['accuracy_non_fallback']:.3f} "
            f"| {r['fallback_rate']:.3f} | {typos(r)} | {', '.join(f'{a:.2f}' for a in r['fold_accuracy'])} "
            f"| {r['fold_accuracy_std']:.3f} | {r['train_seconds_per_fold']:.0f} | {r['epochs'] or 'as configured'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", type=Path, nargs="+", help="Rasa config files (their NLU pipeline is used)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, help="override the DIET epochs (quick trials)")
    parser.add_argument("--out", type=Path, default=CV_OUT)
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    out = (args.out if args.out.is_absolute() else Path.cwd() / args.out).resolve()
    configs = [(c if c.is_absolute() else Path.cwd() / c).resolve() for c in args.configs]
    train_path = (args.data if args.data.is_absolute() else Path.cwd() / args.data) / TRAIN_FILE
    if not train_path.is_file():
        print(f"benchmark training data not found: {train_path}", file=sys.stderr)
        return 2
    raw = read_csv(train_path)
    examples = rename(raw, intent_mapping(raw))
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="benchmark-nlu-cv-") as tmp, engine_environment(Path(tmp) / "cache"):
        for config_path in configs:
            started = time.perf_counter()
            result = cross_validate(config_path, examples, args.folds, args.epochs, Path(tmp) / config_path.stem)
            result["run_seconds"] = round(time.perf_counter() - started, 1)
            (out / f"{config_path.stem}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
            with (out / "log.jsonl").open("a", encoding="utf-8") as handle:
                brief = {k: v for k, v in result.items() if k != "pipeline"}
                handle.write(json.dumps(brief, ensure_ascii=False) + "\n")
            log.info(
                "%s: CV accuracy %.3f (non-fallback %.3f), macro-F1 %.3f, %.0f s",
                config_path.name,
                result["accuracy"],
                result["accuracy_non_fallback"],
                result["macro_f1"],
                result["run_seconds"],
            )
    results = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    summary = render_summary(results)
    (out / "summary.md").write_text(summary, encoding="utf-8")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
