"""The contract between the processes: standard library only, every name declared in the domain, one definition."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor

import contract
from contract import ActionName, Effect, Form, Intent, Slot, TurnState

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "contract" / "__init__.py"


def domain() -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {"intents": set(), "forms": set(), "slots": set(), "actions": set()}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key in merged:
            value = document.get(key) or []
            merged[key] |= set(value) if isinstance(value, (list, dict)) else set()
    return merged


def names(namespace: type) -> set[str]:
    return {value for key, value in vars(namespace).items() if key.isupper() and isinstance(value, str)}


def test_the_contract_imports_the_standard_library_only_in_python_3_10_syntax() -> None:
    tree = ast.parse(CONTRACT.read_text(encoding="utf-8"), feature_version=(3, 10))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


def test_every_name_of_the_contract_is_declared_in_the_domain() -> None:
    declared = domain()
    builtin_intents = {Intent.FALLBACK}  # Rasa's own, never declared
    assert names(Intent) - builtin_intents <= declared["intents"]
    assert names(Form) <= declared["forms"]
    assert names(Slot) - {Slot.REQUESTED_SLOT} <= declared["slots"]  # requested_slot: Rasa's own
    assert names(ActionName) <= declared["actions"]


@pytest.mark.parametrize("folder", ["server", "actions", "evaluation", "bot"])
def test_cross_process_names_are_written_once_in_python(folder: str) -> None:
    """Outside the contract, no Python module spells a form, an effect or the emergency intent as a literal."""
    spelled = names(Form) | names(Effect) | names(ActionName) | {Intent.EMERGENCY, Intent.FALLBACK}
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in spelled:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert found == []


def test_the_registered_actions_are_exactly_the_domains_custom_actions() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    custom = {name for name in domain()["actions"] if not name.startswith("utter_")}
    assert set(executor.actions) == custom
    assert not [name for name in executor.actions if re.fullmatch(r"(action_ask|validate)_", name)]


def test_the_turn_state_reads_what_the_channel_sends_and_tolerates_the_rest() -> None:
    state = TurnState.from_dict(
        {
            "slots_set": {"topic": "droit.information"},
            "active_loop": Form.INSCRIPTION,
            "requested_slot": Slot.CONFIRMATION,
            "effects": [Effect.SUBMISSION],
            "actions": ["action_listen"],
            "tracker_store": {"type": "SQLTrackerStore"},
        }
    )
    assert state.at_summary() and state.in_form and state.did(Effect.SUBMISSION)
    assert not state.did(Effect.TICKET_CREATED)
    assert TurnState.from_dict(state.to_dict()) == state
    assert TurnState.from_dict(None) == TurnState() == TurnState.from_dict({"slots": [], "effects": "x"})
    assert contract.SUMMARY_SLOTS[Form.TRANSMISSION] == Slot.CONFIRMATION_TRANSMISSION
