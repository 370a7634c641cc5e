"""External French NLU benchmark: our NLU pipeline (config.yml) against the anchor (anchor.yml).

    scripts/engine-python -m benchmarks.nlu.run [--epochs N] [--limit N] [--out DIR]
                                                [--pipelines ours,anchor] [--candidate PATH ...]
                                                [--no-assistant] [--no-fresh-clone]

Runs in the engine environment (Rasa 3.6).  The data set (22 intents, questions of
staff to an administration about covid) is read from ../shared/data/nlu-french-benchmark/
(``training_dataset.csv`` and ``test_dataset.csv``, columns ``utterance,intent``); it is
never copied into the repository.  Its intent names (``covid---…--``) are mapped to
``i00``…``i21`` in sorted order; the mapping is written in the reports.

Each pipeline is trained on the training file and parsed message by message on the
test file, then on a copy of the test file with typos (benchmarks/nlu/typos.py, ~10 % of
the words).  Measured: accuracy, macro-F1 (over the 22 benchmark intents), training
time, inference time per message (median, p95), size of the model archive.  For a
pipeline with a FallbackClassifier, accuracy is given as-is (``nlu_fallback`` or any
intent outside the benchmark — e.g. ``urgence`` forced by the EmergencyGuard — counts
as wrong; this is the headline) and on the top non-fallback intent of the ranking.

Then the assistant itself (benchmarks/nlu/assistant.py): trained from scratch,
its entities on the held-out entity set, its memory; and as served
(benchmarks/served.py, in the application's environment): the cold start of
``make run``, the whole stack's memory at rest, and a fresh clone of ``HEAD`` to a
healthy ``/health``.  A *Targets* table puts each figure next to its target.

Writes ``benchmark-nlu.md`` and ``benchmark-nlu.json`` in --out (default reports/).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import csv
import datetime as dt
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchmarks.nlu.assistant import measure_entities, rss_mb, train_assistant
from benchmarks.nlu.typos import DEFAULT_RATE, DEFAULT_SEED, inject_typos
from benchmarks.stats import percentile

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DATA_DIR = ROOT.parent / "shared" / "data" / "nlu-french-benchmark"
TRAIN_FILE = "training_dataset.csv"
TEST_FILE = "test_dataset.csv"
CONFIG = ROOT / "config.yml"
ANCHOR = HERE / "anchor.yml"
REPORTS = ROOT / "reports"
REPORT_STEM = "benchmark-nlu"
FALLBACK = "nlu_fallback"
#: Earlier measurements with rasa 3.6.21 on the same test set (for the report).
REFERENCES = {
    "anchor (earlier run)": {"accuracy": 0.781, "macro_f1": 0.776},
    "spaCy fr_core_news_md + DIET (earlier run)": {"accuracy": 0.783},
}
TARGET_ACCURACY = 0.85

log = logging.getLogger("benchmarks.nlu")

Example = tuple[str, str]  # (text, intent)


# --------------------------------------------------------------------------- data


def read_csv(path: Path) -> list[Example]:
    """``[(utterance, intent), …]`` from a benchmark CSV; line breaks inside an utterance become spaces."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    examples = []
    for row in rows:
        text = " ".join((row.get("utterance") or "").split())
        intent = (row.get("intent") or "").strip()
        if text and intent:
            examples.append((text, intent))
    return examples


def intent_mapping(*datasets: Sequence[Example]) -> dict[str, str]:
    """Original intent name -> ``iNN`` (sorted names, so the mapping is deterministic)."""
    names = sorted({intent for dataset in datasets for _, intent in dataset})
    return {name: f"i{index:02d}" for index, name in enumerate(names)}


def rename(examples: Sequence[Example], mapping: dict[str, str]) -> list[Example]:
    return [(text, mapping[intent]) for text, intent in examples]


def first_per_intent(examples: Sequence[Example], limit: int | None) -> list[Example]:
    """The first ``limit`` examples of each intent, in file order (all of them when limit is None)."""
    if limit is None:
        return list(examples)
    seen: dict[str, int] = defaultdict(int)
    kept = []
    for text, intent in examples:
        if seen[intent] < limit:
            seen[intent] += 1
            kept.append((text, intent))
    return kept


@dataclass
class Benchmark:
    train: list[Example]
    test: list[Example]
    mapping: dict[str, str]  # original intent -> safe name


def load_benchmark(data_dir: Path = DATA_DIR, limit: int | None = None) -> Benchmark:
    train_path, test_path = data_dir / TRAIN_FILE, data_dir / TEST_FILE
    for path in (train_path, test_path):
        if not path.is_file():
            raise FileNotFoundError(f"benchmark data not found: {path}")
    train, test = read_csv(train_path), read_csv(test_path)
    mapping = intent_mapping(train, test)
    return Benchmark(
        train=first_per_intent(rename(train, mapping), limit),
        test=first_per_intent(rename(test, mapping), limit),
        mapping=mapping,
    )


def write_nlu_yaml(examples: Sequence[Example], path: Path) -> Path:
    """Rasa 3 NLU training data (one block per intent)."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in examples:
        by_intent[intent].append(text)
    lines = ['version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in by_intent[intent]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------- pipelines


def load_pipeline(config_path: Path) -> list[dict[str, Any]]:
    """The NLU ``pipeline`` of a Rasa config file, as written."""
    raw = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    pipeline = raw.get("pipeline")
    if not isinstance(pipeline, list) or not pipeline:
        raise ValueError(f"{config_path}: no NLU `pipeline`")
    return pipeline


def nlu_config(pipeline: Sequence[dict[str, Any]], epochs: int | None = None, language: str = "fr") -> dict[str, Any]:
    """An NLU-only Rasa config; ``epochs`` overrides the epochs of every component that has some."""
    components = copy.deepcopy(list(pipeline))
    if epochs is not None:
        for component in components:
            if component.get("name") == "DIETClassifier" or "epochs" in component:
                component["epochs"] = epochs
    return {"recipe": "default.v1", "language": language, "pipeline": components}


@contextlib.contextmanager
def engine_environment(cache_dir: Path) -> Iterator[None]:
    """Quiet Rasa, keep its training cache out of the project's .rasa/ (and disabled), run from the root.

    Environment variables, logger levels and the working directory are restored on exit.
    """
    settings = {
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "LOG_LEVEL": os.environ.get("BENCHMARK_LOG_LEVEL", "WARNING"),  # WARNING also hides DIET's progress bar
        "RASA_CACHE_DIRECTORY": str(cache_dir),
        "RASA_MAX_CACHE_SIZE": "0",
    }
    saved_env = {key: os.environ.get(key) for key in settings}
    loggers = [logging.getLogger(name) for name in ("rasa", "tensorflow", "absl", "spacy", "h5py", "matplotlib")]
    saved_levels = [logger.level for logger in loggers]
    saved_cwd = Path.cwd()
    os.environ.update(settings)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    log.setLevel(logging.INFO)
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    if str(ROOT) not in sys.path:  # custom components (bot.components.…) are imported by name
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        for logger, level in zip(loggers, saved_levels, strict=True):
            logger.setLevel(level)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def train_model(config: dict[str, Any], examples: Sequence[Example], workdir: Path, name: str) -> tuple[Path, float]:
    """Train an NLU model with the Rasa API; ``(archive path, seconds)``."""
    from rasa.model_training import train_nlu

    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / f"{name}-config.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    data_path = write_nlu_yaml(examples, workdir / f"{name}-nlu.yml")
    started = time.perf_counter()
    model = train_nlu(str(config_path), str(data_path), str(workdir / "models"), fixed_model_name=name)
    seconds = time.perf_counter() - started
    if not model:
        raise RuntimeError(f"training of {name} produced no model")
    return Path(model), seconds


@dataclass
class Parsed:
    intent: str  # as-is (may be nlu_fallback, or an intent forced by a custom component)
    top_non_fallback: str  # best intent of the ranking other than nlu_fallback
    confidence: float
    seconds: float


async def _parse_all(model: Path, texts: Sequence[str]) -> list[Parsed]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    if texts:
        await agent.parse_message(texts[0])  # warm-up, not timed
    parsed = []
    for text in texts:
        started = time.perf_counter()
        result = await agent.parse_message(text)
        seconds = time.perf_counter() - started
        intent = result.get("intent") or {}
        ranking = [r for r in result.get("intent_ranking") or [] if r.get("name") != FALLBACK]
        name = str(intent.get("name") or "")
        parsed.append(
            Parsed(
                intent=name,
                top_non_fallback=str(ranking[0]["name"]) if ranking else name,
                confidence=float(intent.get("confidence") or 0.0),
                seconds=seconds,
            )
        )
    return parsed


def parse_all(model: Path, texts: Sequence[str]) -> list[Parsed]:
    return asyncio.run(_parse_all(model, texts))


# ----------------------------------------------------------------------- metrics


def score(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro-F1 over the gold intents (a prediction outside them is simply wrong)."""
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(gold))
    return {
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_f1": float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)),
    }


def summarise(gold: Sequence[str], parsed: Sequence[Parsed]) -> dict[str, Any]:
    as_is = score(gold, [p.intent for p in parsed])
    top = score(gold, [p.top_non_fallback for p in parsed])
    known = set(gold)
    return {
        "accuracy": as_is["accuracy"],
        "macro_f1": as_is["macro_f1"],
        "accuracy_non_fallback": top["accuracy"],
        "macro_f1_non_fallback": top["macro_f1"],
        "fallback_rate": sum(p.intent == FALLBACK for p in parsed) / max(len(parsed), 1),
        "outside_intents": sum(p.intent != FALLBACK and p.intent not in known for p in parsed),
    }


@dataclass
class PipelineResult:
    name: str
    config: str
    pipeline: list[dict[str, Any]]
    has_fallback: bool
    n_train: int
    n_test: int
    train_seconds: float
    model_mb: float
    infer_median_ms: float
    infer_p95_ms: float
    rss_mb: float | None = None
    clean: dict[str, Any] = field(default_factory=dict)
    typos: dict[str, Any] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        return float(self.clean["accuracy"])


def run_pipeline(
    name: str,
    config_path: Path,
    bench: Benchmark,
    typo_test: Sequence[Example],
    workdir: Path,
    epochs: int | None,
    memory: bool = True,
) -> PipelineResult:
    pipeline = load_pipeline(config_path)
    config = nlu_config(pipeline, epochs)
    log.info("%s: training on %d examples (%s)", name, len(bench.train), config_path)
    model, train_seconds = train_model(config, bench.train, workdir, name.replace(":", "-"))
    log.info("%s: trained in %.1f s; parsing %d test messages (+ typos)", name, train_seconds, len(bench.test))
    clean = parse_all(model, [text for text, _ in bench.test])
    noisy = parse_all(model, [text for text, _ in typo_test])
    latencies = [p.seconds * 1000 for p in clean]
    result = PipelineResult(
        name=name,
        config=str(config_path.relative_to(ROOT) if config_path.is_relative_to(ROOT) else config_path),
        pipeline=config["pipeline"],
        has_fallback=any(c.get("name") == "FallbackClassifier" for c in pipeline),
        n_train=len(bench.train),
        n_test=len(bench.test),
        train_seconds=round(train_seconds, 1),
        model_mb=round(model.stat().st_size / 1e6, 2),
        infer_median_ms=round(statistics.median(latencies), 2) if latencies else 0.0,
        infer_p95_ms=round(percentile(latencies, 95), 2),
        rss_mb=rss_mb(model) if memory else None,
        clean=summarise([i for _, i in bench.test], clean),
        typos=summarise([i for _, i in typo_test], noisy),
    )
    log.info(
        "%s: accuracy %.3f (non-fallback %.3f), macro-F1 %.3f, with typos %.3f",
        name,
        result.clean["accuracy"],
        result.clean["accuracy_non_fallback"],
        result.clean["macro_f1"],
        result.typos["accuracy"],
    )
    return result


# ----------------------------------------------------------------------- reports


def machine_info() -> dict[str, Any]:
    import rasa

    ram_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    return {
        "cores": cores,
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "ram_gb": ram_gb,
        "rasa": rasa.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),  # noqa: UP017 (Python 3.10)
    }


def _pct(value: float) -> str:
    return f"{value:.3f}"


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def render_assistant(assistant: dict[str, Any]) -> list[str]:
    entities = assistant["entities"]
    lines = [
        "",
        "## The assistant's own model",
        "",
        "Trained from scratch (empty Rasa cache) on `config.yml`, `bot/domain/` and `data/`, as `make train` "
        "does on a fresh clone.",
        "",
        "| training from scratch s | model MB | RSS after loading, MB | entity precision | entity recall | entity F1 |",
        "|---|---|---|---|---|---|",
        f"| {assistant['train_seconds']:.0f} | {assistant['model_mb']:.1f} | {_mb(assistant['rss_mb'])} "
        f"| {entities['precision']:.3f} | {entities['recall']:.3f} | **{entities['f1']:.3f}** |",
        "",
        f"Entities: {entities['pairs']} (entity, value) pairs in {entities['messages']} held-out messages "
        "(`tests/nlu/entities.yml`), micro-averaged. RSS: a fresh process that loads the model and parses "
        "three messages (the engine without its web server).",
    ]
    if entities["errors"]:
        lines += ["", "Entity errors:", ""]
        lines += [f"- « {e['text']} »: expected {e['expected']}, found {e['found']}" for e in entities["errors"]]
    return lines


def served_figures(out: Path, fresh_clone: bool) -> dict[str, Any]:
    """``benchmarks/served.py`` in the application's environment (it starts the stack as ``make run`` does)."""
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "benchmarks.served", "--json", str(out)]
    if fresh_clone:
        command.append("--fresh-clone")
    subprocess.run(command, cwd=ROOT, check=True)
    figures: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return figures


def _check(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**missed**")


def render_targets(report: dict[str, Any]) -> list[str]:
    """The engine's targets side by side with this run's figures."""
    pipelines = report["pipelines"]
    ours, anchor = pipelines.get("ours"), pipelines.get("anchor")
    assistant = report.get("assistant") or {}
    served = assistant.get("served") or {}
    memory = served.get("memory_at_rest") or {}
    fresh = served.get("fresh_clone") or {}
    rows: list[tuple[str, str, str, bool | None]] = []
    if ours and anchor:
        accuracy, anchored = ours["clean"]["accuracy"], anchor["clean"]["accuracy"]
        rows.append(
            (
                "benchmark accuracy as served",
                f"≥ {TARGET_ACCURACY} and above the anchor",
                f"{accuracy:.3f} (anchor {anchored:.3f})",
                accuracy >= TARGET_ACCURACY and accuracy > anchored,
            )
        )
        typos, anchor_typos = ours["typos"]["accuracy"], anchor["typos"]["accuracy"]
        typo_value = f"{typos:.3f} (anchor {anchor_typos:.3f})"
        rows.append(("with typos", "above the anchor", typo_value, typos > anchor_typos))
    if assistant:
        seconds = assistant["train_seconds"]
        rows.append(("training from scratch", "≤ 120 s", f"{seconds:.0f} s", seconds <= 120))
        rows.append(("entity F1 (held-out)", "not lower than before", f"{assistant['entities']['f1']:.3f}", None))
    if fresh:
        rows.append(("fresh clone to healthy /health", "≤ 360 s", f"{fresh['seconds']:.0f} s", fresh["seconds"] <= 360))
    if served.get("cold_start_s") is not None:
        cold = served["cold_start_s"]
        rows.append(("cold start (installed, trained)", "≤ 30 s", f"{cold:.1f} s", cold <= 30))
    if memory:
        engine = memory["by_role_mb"].get("engine", 0.0)
        rows.append(("engine RSS at rest", "≤ 1,200 MB", f"{engine:,.0f} MB", engine <= 1200))
        total = memory["total_mb"]
        parts = ", ".join(f"{role} {mb:,.0f}" for role, mb in memory["by_role_mb"].items())
        rows.append(("whole stack RSS at rest", "≤ 1,600 MB", f"{total:,.0f} MB ({parts})", total <= 1600))
    if not rows:
        return []
    lines = ["", "## Targets", "", "| figure | target | this run | |", "|---|---|---|---|"]
    lines += [f"| {name} | {target} | {value} | {_check(ok)} |" for name, target, value, ok in rows]
    if fresh:
        lines += [
            "",
            f"Fresh clone: commit {fresh['commit']}, `git clone` then `make run` (both environments, packages, "
            f"web assets, training from scratch) to a healthy `/health`; {fresh.get('training') or ''}. Package "
            "files came through this machine's pip and npm caches where they held them.",
        ]
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    machine = meta["machine"]
    limited = f"; first {meta['limit']} per intent only" if meta["limit"] else ""
    lines = [
        "# NLU benchmark — external French data set",
        "",
        f"Data: `{meta['data_dir']}` ({meta['n_intents']} intents, {meta['n_train']} training / "
        f"{meta['n_test']} test utterances{limited}). "
        f"DIET epochs: {meta['epochs'] or 'as configured'}; DIET random_seed 42 in both pipelines.",
        "",
        "| pipeline | accuracy | macro-F1 | accuracy, top non-fallback | accuracy with typos "
        "| training s | inference median ms | inference p95 ms | model MB | RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in report["pipelines"].values():
        clean, typos = result["clean"], result["typos"]
        non_fallback = _pct(clean["accuracy_non_fallback"]) if result["has_fallback"] else "—"
        typo_cell = _pct(typos["accuracy"])
        if result["has_fallback"]:
            typo_cell += f" ({_pct(typos['accuracy_non_fallback'])} non-fallback)"
        lines.append(
            f"| {result['name']} (`{result['config']}`) | **{_pct(clean['accuracy'])}** | {_pct(clean['macro_f1'])} "
            f"| {non_fallback} | {typo_cell} | {result['train_seconds']:.1f} | {result['infer_median_ms']:.1f} "
            f"| {result['infer_p95_ms']:.1f} | {result['model_mb']:.1f} | {_mb(result.get('rss_mb'))} |"
        )
    lines += [
        "",
        "Accuracy is the headline, **as-is**: a `nlu_fallback` prediction, or an intent outside the benchmark "
        '(e.g. `urgence` forced by the EmergencyGuard), counts as wrong. "Top non-fallback" scores the best '
        "intent of the ranking other than `nlu_fallback` instead. Macro-F1 is over the benchmark's intents.",
        "",
        "| pipeline | fallback rate | outside intents (clean) | fallback rate with typos | macro-F1 with typos |",
        "|---|---|---|---|---|",
    ]
    for result in report["pipelines"].values():
        lines.append(
            f"| {result['name']} | {_pct(result['clean']['fallback_rate'])} | {result['clean']['outside_intents']} "
            f"| {_pct(result['typos']['fallback_rate'])} | {_pct(result['typos']['macro_f1'])} |"
        )
    lines += [
        "",
        f"Typos: benchmarks/nlu/typos.py, rate {meta['typo_rate']}, seed {meta['typo_seed']} "
        f"({meta['typo_words_altered']:.1%} of the eligible words of the test set actually altered).",
        "",
        "Earlier reference figures (rasa 3.6.21, same test set): "
        + "; ".join(f"{k}: " + ", ".join(f"{m} {v:.3f}" for m, v in vals.items()) for k, vals in REFERENCES.items())
        + f". Target for our pipeline: accuracy ≥ {TARGET_ACCURACY}.",
        "",
        f"Machine: {machine['cores']} cores (shared; load average {machine.get('load_avg_1min', '?')} at the end, "
        "so times are indicative), "
        f"{machine['ram_gb']} GB RAM, rasa {machine['rasa']}, "
        f"Python {machine['python']}, {machine['platform']}, {machine['date']}. Total run {meta['run_seconds']:.0f} s.",
    ]
    lines += render_targets(report)
    if report.get("assistant"):
        lines += render_assistant(report["assistant"])
    lines += [
        "",
        "## Intent names",
        "",
        "| safe name | benchmark intent |",
        "|---|---|",
    ]
    by_safe_name = sorted(report["intent_mapping"].items(), key=lambda item: item[1])
    lines += [f"| {safe} | `{original}` |" for original, safe in by_safe_name]
    return "\n".join(lines) + "\n"


def write_reports(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{REPORT_STEM}.json", out / f"{REPORT_STEM}.md"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, md_path


def altered_word_rate(texts: Sequence[str], noisy: Sequence[str]) -> float:
    """Share of the eligible words that the typo injection changed."""
    from benchmarks.nlu.typos import MIN_WORD_LENGTH, words

    before = [w for t in texts for w in words(t)]
    after = [w for t in noisy for w in words(t)]
    if len(before) != len(after) or not before:
        return 0.0
    pairs = [(a, b) for a, b in zip(before, after, strict=True) if len(a) >= MIN_WORD_LENGTH]
    return sum(a != b for a, b in pairs) / max(len(pairs), 1)


# -------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, help="override the DIET epochs of every pipeline (smoke runs)")
    parser.add_argument("--limit", type=int, help="only the first N utterances per intent, in both files")
    parser.add_argument("--out", type=Path, default=REPORTS, help="report directory (default: reports/)")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="benchmark data directory")
    parser.add_argument(
        "--pipelines", default="ours,anchor", help="comma-separated, among: ours (config.yml), anchor (anchor.yml)"
    )
    parser.add_argument(
        "--candidate", type=Path, action="append", default=[], help="also run this NLU config (a single final check)"
    )
    parser.add_argument(
        "--no-assistant",
        action="store_true",
        help="skip the assistant's own model (training from scratch, entities) and the memory measures",
    )
    parser.add_argument(
        "--no-fresh-clone",
        action="store_true",
        help="skip timing a fresh clone of HEAD to a healthy /health with make run (installs and training included)",
    )
    parser.add_argument("--typo-rate", type=float, default=DEFAULT_RATE)
    parser.add_argument("--typo-seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be ≥ 1")
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be ≥ 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out if args.out.is_absolute() else Path.cwd() / args.out
    data_dir = args.data if args.data.is_absolute() else Path.cwd() / args.data
    known = {"ours": CONFIG, "anchor": ANCHOR}
    chosen = [name.strip() for name in args.pipelines.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in known]
    if unknown:
        print(f"unknown pipeline(s) {unknown}; expected among {sorted(known)}", file=sys.stderr)
        return 2
    runs = [(name, known[name]) for name in chosen]
    runs += [(f"candidate:{path.stem}", path.resolve()) for path in args.candidate]
    try:
        bench = load_benchmark(data_dir, args.limit)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2

    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="benchmark-nlu-"))
        stack.enter_context(engine_environment(Path(tmp) / "cache"))
        typo_test = [(inject_typos(t, rate=args.typo_rate, seed=args.typo_seed), i) for t, i in bench.test]
        memory = not args.no_assistant
        results = [
            run_pipeline(name, path, bench, typo_test, Path(tmp) / "work", args.epochs, memory) for name, path in runs
        ]
        assistant = None
        if not args.no_assistant:
            log.info("the assistant's model: training from scratch")
            model, seconds = train_assistant(Path(tmp) / "assistant")
            assistant = {
                "train_seconds": round(seconds, 1),
                "model_mb": round(model.stat().st_size / 1e6, 2),
                "rss_mb": rss_mb(model),
                "entities": measure_entities(model),
            }
            log.info("the served stack: cold start and memory%s", "" if args.no_fresh_clone else ", fresh clone")
            assistant["served"] = served_figures(Path(tmp) / "served.json", fresh_clone=not args.no_fresh_clone)

    report = {
        "meta": {
            "data_dir": str(data_dir),
            "n_intents": len(bench.mapping),
            "n_train": len(bench.train),
            "n_test": len(bench.test),
            "limit": args.limit,
            "epochs": args.epochs,
            "typo_rate": args.typo_rate,
            "typo_seed": args.typo_seed,
            "typo_words_altered": altered_word_rate([t for t, _ in bench.test], [t for t, _ in typo_test]),
            "headline": "accuracy as-is (nlu_fallback and intents outside the benchmark count as wrong)",
            "references": REFERENCES,
            "target_accuracy": TARGET_ACCURACY,
            "machine": machine_info(),
            "run_seconds": round(time.perf_counter() - started, 1),
        },
        "pipelines": {r.name: {**asdict(r), "accuracy": r.accuracy} for r in results},
        "intent_mapping": bench.mapping,
        "assistant": assistant,
    }
    json_path, md_path = write_reports(report, out)
    print(render_markdown(report))
    print(f"written: {md_path} and {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
