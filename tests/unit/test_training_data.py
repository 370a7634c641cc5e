"""The knowledge base, the domain, the rules and the training data agree with each other."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from evaluation.heldout import load_heldout
from knowledge.loader import get_knowledge
from knowledge.schema import intent_for

ROOT = Path(__file__).resolve().parents[2]
#: Reached through the compare_roles intent and action_compare_roles, not an intent of their own.
COMPARISONS = {"compare.ru_patient_partenaire", "compare.roles"}
MIN_EXAMPLES = 15
_ANNOTATION = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")


@functools.cache  # read once per test session: the files do not change during a run
def load_all(folder: str) -> list[dict[str, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [
        yaml.load(path.read_text(encoding="utf-8"), Loader=loader) for path in sorted((ROOT / folder).glob("*.yml"))
    ]


def plain(example: str) -> str:
    """The text of an annotated example, normalised for comparison."""
    text = _ANNOTATION.sub(lambda m: m.group(1), example)
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", text))


@functools.cache
def nlu_examples() -> dict[str, list[str]]:
    examples: dict[str, list[str]] = defaultdict(list)
    for document in load_all("data/nlu"):
        for block in document.get("nlu", []):
            if "intent" in block:
                lines = [line.strip()[2:] for line in block["examples"].splitlines() if line.strip().startswith("- ")]
                examples[block["intent"]].extend(lines)
    return examples


@functools.cache
def domain_intents() -> set[str]:
    return {intent for document in load_all("bot/domain") for intent in document.get("intents", [])}


@functools.cache
def rules_by_intent() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for document in load_all("data/rules"):
        for rule in document.get("rules", []):
            steps = rule["steps"]
            if len(steps) >= 2 and "intent" in steps[0]:
                found[steps[0]["intent"]] = [s["action"] for s in steps[1:] if "action" in s]
    return found


def answered_ids() -> list[str]:
    return [entry.id for entry in get_knowledge() if entry.id not in COMPARISONS]


@pytest.mark.parametrize("entry_id", answered_ids())
def test_every_topic_has_an_intent_a_rule_and_enough_examples(entry_id: str) -> None:
    intent = intent_for(entry_id)
    assert intent in domain_intents()
    assert rules_by_intent().get(intent) == ["action_answer_knowledge"]
    assert len(set(nlu_examples().get(intent, []))) >= MIN_EXAMPLES


def test_comparisons_are_reached_through_compare_roles() -> None:
    assert COMPARISONS <= {entry.id for entry in get_knowledge()}
    assert rules_by_intent()["compare_roles"] == ["action_compare_roles"]
    assert len(nlu_examples()["compare_roles"]) >= MIN_EXAMPLES


def test_every_trained_intent_is_declared_and_no_example_has_two_intents() -> None:
    examples = nlu_examples()
    assert set(examples) <= domain_intents()
    owner: dict[str, str] = {}
    clashes = []
    for intent, lines in examples.items():
        for line in lines:
            key = plain(line)
            if owner.setdefault(key, intent) != intent:
                clashes.append((line, owner[key], intent))
    assert clashes == []


def test_role_entities_name_known_roles() -> None:
    roles = {entry.id.removeprefix("role.") for entry in get_knowledge() if entry.id.startswith("role.")}
    values = set()
    for lines in nlu_examples().values():
        for line in lines:
            for match in _ANNOTATION.finditer(line):
                annotation = match.group(2)
                if annotation.startswith("{"):
                    values.add(json.loads(annotation)["value"])
    assert values, "no role annotated in the training data"
    assert values <= roles


def test_no_heldout_message_is_in_the_training_data() -> None:
    trained = {plain(line) for lines in nlu_examples().values() for line in lines}
    leaked = [example.text for example in load_heldout() if plain(example.text) in trained]
    assert leaked == []


def test_no_heldout_request_is_in_the_training_data() -> None:
    trained = {plain(line) for lines in nlu_examples().values() for line in lines}
    requests = yaml.safe_load((ROOT / "tests" / "nlu" / "requests.yml").read_text(encoding="utf-8"))["requests"]
    assert len(requests) >= 6 * 9
    leaked = [request["text"] for request in requests if plain(request["text"]) in trained]
    assert leaked == []


@pytest.mark.parametrize("name", ["safety_emergencies.yml", "safety_lookalikes.yml", "safety_advice.yml"])
def test_no_heldout_safety_message_is_in_the_training_data(name: str) -> None:
    trained = {plain(line) for lines in nlu_examples().values() for line in lines}
    messages = yaml.safe_load((ROOT / "tests" / "nlu" / name).read_text(encoding="utf-8"))["messages"]
    leaked = [m["text"] for m in messages if plain(m["text"]) in trained]
    assert leaked == []


def test_no_heldout_entity_message_is_in_the_training_data() -> None:
    trained = {plain(line) for lines in nlu_examples().values() for line in lines}
    messages = yaml.safe_load((ROOT / "tests" / "nlu" / "entities.yml").read_text(encoding="utf-8"))["messages"]
    assert len(messages) >= 40
    leaked = [m["text"] for m in messages if plain(m["text"]) in trained]
    assert leaked == []
    roles = {entry_id.removeprefix("role.") for entry_id in answered_ids() if entry_id.startswith("role.")}
    named = {e["value"] for m in messages for e in m["entities"] if e["entity"] == "role"}
    assert named <= roles
