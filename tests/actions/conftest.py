"""Tracker fixtures for action tests: plain dicts, as rasa-sdk's own tests use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

TrackerFactory = Callable[..., Tracker]


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def domain() -> dict[str, Any]:
    return {
        "intents": ["role_patient_partenaire", "droit_personne_confiance", "service_cdu", "bot_capacites"],
        "slots": {"topic": {"type": "text"}},
        "actions": ["action_answer_knowledge"],
    }


@pytest.fixture
def make_tracker() -> TrackerFactory:
    def factory(
        intent: str | None,
        text: str = "",
        metadata: dict[str, Any] | None = None,
        slots: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> Tracker:
        latest = {
            "intent": {"name": intent, "confidence": 0.99} if intent else {},
            "entities": entities or [],
            "text": text,
            "metadata": metadata or {},
        }
        return Tracker(
            sender_id="test-session",
            slots=slots or {},
            latest_message=latest,
            events=[],
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    return factory
