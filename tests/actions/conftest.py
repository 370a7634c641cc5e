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
        active_loop: str | None = None,
        confidence: float = 0.99,
        sender_id: str = "test-session",
    ) -> Tracker:
        latest = {
            "intent": {"name": intent, "confidence": confidence} if intent else {},
            "entities": entities or [],
            "text": text,
            "metadata": metadata or {},
        }
        return Tracker(
            sender_id=sender_id,
            slots=slots or {},
            latest_message=latest,
            events=[],
            paused=False,
            followup_action=None,
            active_loop={"name": active_loop} if active_loop else {},
            latest_action_name="action_listen",
        )

    return factory


@pytest.fixture
async def app_db(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A migrated SQLite application database, used by the actions through ``get_sessions``."""
    import anyio

    from actions.common.db import get_sessions
    from store.migrate import upgrade
    from store.settings import get_store_settings

    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_store_settings.cache_clear()
    get_sessions.cache_clear()
    await anyio.to_thread.run_sync(upgrade, url)
    sessions = get_sessions()
    yield sessions
    bind = sessions.kw["bind"]
    await bind.dispose()
    get_sessions.cache_clear()
    get_store_settings.cache_clear()
