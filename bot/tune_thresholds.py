"""Tune the FallbackClassifier thresholds of config.yml on held-out data (engine environment).

    .venv-engine/bin/python -m bot.tune_thresholds [--write]

Parses the held-out set (tests/nlu/heldout.yml) and out-of-scope messages with the
trained model, then searches the (threshold, ambiguity_threshold) pair that
maximises, among the pairs that keep the held-out accuracy gate, the expected
utility of what the assistant does with each message:

- right topic answered: +1; clarification offering the right topic: +0.5;
- fallback or clarification without the right topic: 0;
- wrong topic answered: -1 (a confident wrong answer is the worst outcome).

Out-of-scope messages (the training file of the external French benchmark of
questions to an administration, read from ../shared when it is there; its test
file is kept for the NLU benchmark) must not be answered with
a knowledge topic; ``hors_sujet``, a clarification or the fallback are right.
They are weighted so that they count as much as the held-out set in total.
The result is saved in reports/thresholds.json, with the same figures for the
thresholds in config.yml (``in_config``); --write puts the best pair in config.yml,
unless the pair already there keeps the gate and the best pair gains less than
MIN_GAIN of utility: a gain smaller than one message's worth is noise, and moving
the thresholds for it changes what people see for nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import re
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import yaml

from contract import Intent

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "partenaires-sante.tar.gz"
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
OUT_OF_SCOPE = ROOT.parent / "shared" / "data" / "nlu-french-benchmark" / "training_dataset.csv"
CONFIG = ROOT / "config.yml"
REPORT = ROOT / "reports" / "thresholds.json"
#: Topics reached through the compare_roles intent.
COMPARE = {"compare.roles", "compare.ru_patient_partenaire"}
CANDIDATES = 3  # buttons offered by action_clarify
MIN_CANDIDATE = 0.1  # actions/knowledge/clarify.py
#: evaluation/heldout.py's gate (0.92) plus a margin for messages the engine answers otherwise.
MIN_ANSWERED_RIGHT = 0.94
#: The least utility gain that moves the thresholds in config.yml (one message from wrong to no answer).
MIN_GAIN = 1.0


#: The emergency answer: the generic intent or any category's (urgence_vitale, urgence_suicide...).
EMERGENCY_INTENTS = {
    Intent.EMERGENCY,
    *(
        f"{Intent.EMERGENCY}_{category}"
        for category in ("vitale", "suicide", "violence", "intoxication", "incendie", "enfant_danger")
    ),
}


def expected_intents(topic: str) -> set[str]:
    if topic == Intent.EMERGENCY:
        return EMERGENCY_INTENTS
    return {"compare_roles"} if topic in COMPARE else {topic.replace(".", "_")}


async def rankings(texts: list[str]) -> list[list[tuple[str, float]]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    parsed = []
    for text in texts:
        result = await agent.parse_message(text)
        ranking = [(r["name"], float(r["confidence"])) for r in result.get("intent_ranking", [])]
        parsed.append([(name, conf) for name, conf in ranking if name != Intent.FALLBACK])
    return parsed


def utility(ranking: list[tuple[str, float]], good: set[str], threshold: float, ambiguity: float) -> float:
    top, conf = ranking[0]
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    if conf >= threshold and conf - second >= ambiguity:
        return 1.0 if top in good else -1.0
    offered = [name for name, c in ranking[:CANDIDATES] if c >= MIN_CANDIDATE]
    return 0.5 if good & set(offered) else 0.0


def out_of_scope_utility(ranking: list[tuple[str, float]], threshold: float, ambiguity: float) -> float:
    top, conf = ranking[0]
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    answered = conf >= threshold and conf - second >= ambiguity
    harmless = {"hors_sujet", "greet", "goodbye", "thank", "bot_capacites"}
    return -1.0 if answered and top not in harmless else 0.0


Ranking = List[Tuple[str, float]]


def outcome(
    heldout: List[Tuple[Ranking, Set[str]]], negatives: List[Ranking], threshold: float, ambiguity: float
) -> Dict[str, Any]:
    weight = len(heldout) / len(negatives) if negatives else 0.0
    pos = sum(utility(r, good, threshold, ambiguity) for r, good in heldout)
    neg = sum(out_of_scope_utility(r, threshold, ambiguity) for r in negatives)
    answered = [
        (r, good) for r, good in heldout
        if r[0][1] >= threshold and r[0][1] - (r[1][1] if len(r) > 1 else 0) >= ambiguity
    ]
    return {
        "threshold": threshold,
        "ambiguity_threshold": ambiguity,
        "utility": pos + weight * neg,
        "heldout_answered_right": sum(r[0][0] in good for r, good in answered) / len(heldout),
        "heldout_answered_wrong": sum(r[0][0] not in good for r, good in answered) / len(heldout),
        "out_of_scope_answered": (-neg / len(negatives)) if negatives else None,
    }


def search(heldout: List[Tuple[Ranking, Set[str]]], negatives: List[Ranking]) -> Dict[str, Any]:
    """The best pair by utility among those that keep the held-out accuracy gate.

    The quality gate asks that at least MIN_ANSWERED_RIGHT of the held-out
    messages get the right answer at once; among the pairs that keep it (with a
    margin), the one with the highest utility wins, ties going to the lower
    thresholds (fewer needless clarifications).  When no pair keeps it, the
    best utility overall.
    """
    grid = [outcome(heldout, negatives, t / 100, a / 100) for t in range(0, 91, 2) for a in range(0, 31)]
    eligible = [o for o in grid if o["heldout_answered_right"] >= MIN_ANSWERED_RIGHT] or grid
    best = eligible[0]
    for candidate in eligible[1:]:
        if candidate["utility"] > best["utility"] + 1e-9:
            best = candidate
    return best


def worth_writing(best: Dict[str, Any], current: Dict[str, Any]) -> bool:
    """Whether ``best`` should replace the thresholds in config.yml (``current``)."""
    if current["heldout_answered_right"] < MIN_ANSWERED_RIGHT:
        return True
    return bool(best["utility"] - current["utility"] >= MIN_GAIN)


def current_thresholds() -> Tuple[float, float]:
    """The FallbackClassifier's (threshold, ambiguity_threshold) in config.yml."""
    pipeline = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["pipeline"]
    fallback = next(c for c in pipeline if c.get("name") == "FallbackClassifier")
    return float(fallback["threshold"]), float(fallback["ambiguity_threshold"])


def write_config(threshold: float, ambiguity: float) -> None:
    text = CONFIG.read_text(encoding="utf-8")
    head, tail = text.split("- name: FallbackClassifier", 1)
    tail = re.sub(r"(\n\s+threshold: )[0-9.]+", rf"\g<1>{threshold}", tail, count=1)
    tail = re.sub(r"(\n\s+ambiguity_threshold: )[0-9.]+", rf"\g<1>{ambiguity}", tail, count=1)
    CONFIG.write_text(head + "- name: FallbackClassifier" + tail, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="write the tuned values into config.yml")
    args = parser.parse_args()
    messages = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))["messages"]
    negatives_text: list[str] = []
    if OUT_OF_SCOPE.exists():
        with OUT_OF_SCOPE.open(encoding="utf-8") as handle:
            negatives_text = [row["utterance"] for row in csv.DictReader(handle)]
    parsed = asyncio.run(rankings([m["text"] for m in messages] + negatives_text))
    heldout = [(parsed[i], expected_intents(m["topic"])) for i, m in enumerate(messages)]
    best = search(heldout, parsed[len(messages):])
    best.update(heldout_messages=len(messages), out_of_scope_messages=len(negatives_text))
    best["in_config"] = outcome(heldout, parsed[len(messages) :], *current_thresholds())
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(best, indent=2), encoding="utf-8")
    print(json.dumps(best, indent=2))
    if args.write and worth_writing(best, best["in_config"]):
        write_config(best["threshold"], best["ambiguity_threshold"])
        print(f"written to {CONFIG}")
    elif args.write:
        print(f"{CONFIG} kept: the best pair gains less than {MIN_GAIN} of utility over it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
