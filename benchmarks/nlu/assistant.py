"""The assistant's own model in ``make benchmark-nlu``: training from scratch, entities, memory.

- **Training from scratch**: the whole assistant (``config.yml``, ``bot/domain``, ``data``)
  trained with an empty Rasa cache, as ``make train`` does on a fresh clone.
- **Entities**: precision, recall and F1 of the (entity, value) pairs found in
  ``tests/nlu/entities.yml`` (held out, never trained on), micro-averaged.
- **Memory**: the resident set size of a fresh process that loads a model and parses a
  few messages (``python -m benchmarks.nlu.assistant --rss MODEL``), for each pipeline.
  It is the engine without its web server; ``make benchmark-load`` measures the served stack.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ENTITIES = ROOT / "tests" / "nlu" / "entities.yml"
RSS_MESSAGES = ["bonjour", "c'est quoi un patient partenaire ?", "je veux changer mon email"]

Pair = tuple[str, str]


def train_assistant(workdir: Path) -> tuple[Path, float]:
    """Train the full assistant model (``(archive, seconds)``); the caller sets an empty cache."""
    from rasa.api import train

    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = train(
        domain=str(ROOT / "bot" / "domain"),
        config=str(ROOT / "config.yml"),
        training_files=[str(ROOT / "data")],
        output=str(workdir),
        fixed_model_name="assistant",
    )
    seconds = time.perf_counter() - started
    if not result.model:
        raise RuntimeError("the assistant's training produced no model")
    return Path(result.model), seconds


def load_entity_set(path: Path = ENTITIES) -> list[tuple[str, set[Pair]]]:
    messages = yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
    return [(m["text"], {(e["entity"], str(e["value"])) for e in m["entities"]}) for m in messages]


def entity_scores(gold: Sequence[set[Pair]], found: Sequence[set[Pair]]) -> dict[str, float]:
    """Micro precision, recall and F1 over (entity, value) pairs."""
    right = sum(len(g & f) for g, f in zip(gold, found, strict=True))
    predicted = sum(len(f) for f in found)
    expected = sum(len(g) for g in gold)
    precision = right / predicted if predicted else 1.0
    recall = right / expected if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "pairs": expected}


async def _entities(model: Path, texts: Sequence[str]) -> list[set[Pair]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    found = []
    for text in texts:
        result = await agent.parse_message(text)
        found.append({(str(e["entity"]), str(e["value"])) for e in result.get("entities") or []})
    return found


def measure_entities(model: Path, path: Path = ENTITIES) -> dict[str, Any]:
    examples = load_entity_set(path)
    found = asyncio.run(_entities(model, [text for text, _ in examples]))
    scores = entity_scores([gold for _, gold in examples], found)
    misses = [
        {"text": text, "expected": sorted(gold), "found": sorted(got)}
        for (text, gold), got in zip(examples, found, strict=True)
        if gold != got
    ]
    return {**scores, "messages": len(examples), "errors": misses}


def rss_mb(model: Path) -> float:
    """RSS (MB) of a fresh engine-environment process that loaded ``model`` and parsed a few messages."""
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.nlu.assistant", "--rss", str(model)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(json.loads(output.strip().splitlines()[-1])["rss_mb"])


def _own_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _load_and_parse(model: str) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    for text in RSS_MESSAGES:
        await agent.parse_message(text)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--rss":
        import logging
        import os

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        logging.disable(logging.WARNING)
        asyncio.run(_load_and_parse(sys.argv[2]))
        print(json.dumps({"rss_mb": round(_own_rss_mb(), 1)}))
    else:
        print("usage: python -m benchmarks.nlu.assistant --rss MODEL", file=sys.stderr)
        sys.exit(2)
