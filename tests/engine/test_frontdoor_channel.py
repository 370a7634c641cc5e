"""Engine-side tests (run with .venv-engine): the front door's private channel."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.frontdoor import (
    FrontDoorInput,
    SavedTrackers,
    TrackerStoreWatch,
    not_serving,
    saved_trackers,
    store_healthy,
    tracker_store_status,
    turn_state,
    watch_tracker_store,
)

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, service_cdu]
slots:
  topic: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  email: {type: text, influence_conversation: false, mappings: [{type: custom}]}
forms:
  inscription_partenaire:
    required_slots: [email]
"""
)


def tracker(*events: object) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("s", list(events), slots=DOMAIN.slots)  # type: ignore[arg-type]


def test_turn_state_reports_only_the_slots_set_since_the_last_user_message() -> None:
    t = tracker(
        ActionExecuted("action_listen"),
        UserUttered("c'est quoi la CDU ?", {"name": "service_cdu", "confidence": 0.9}),
        ActionExecuted("action_answer_knowledge"),
        SlotSet("topic", "service.cdu"),
        BotUttered("La CDU…"),
        ActionExecuted("action_listen"),
        UserUttered("bonjour", {"name": "greet", "confidence": 0.9}),
        ActionExecuted("utter_greet"),
        BotUttered("Bonjour"),
        ActionExecuted("action_listen"),
    )
    state = turn_state(t)
    assert state["slots_set"] == {}
    assert state["slots"]["topic"] == "service.cdu"
    assert state["actions"] == ["utter_greet"]
    assert state["intent"] == "greet"


def test_turn_state_reports_the_emergency_guard_decision() -> None:
    alarm = {"intent": "urgence_incendie", "category": "incendie", "level": "possible", "source": "model"}
    parse = {"intent": {"name": "greet", "confidence": 0.9}, "emergency": alarm}
    t = tracker(ActionExecuted("action_listen"), UserUttered("ça sent le brûlé", parse["intent"], parse_data=parse))
    assert turn_state(t)["emergency"] == alarm
    assert turn_state(tracker(ActionExecuted("action_listen"), UserUttered("bonjour")))["emergency"] is None


def test_turn_state_reports_the_active_form_and_requested_slot() -> None:
    t = tracker(
        ActionExecuted("action_listen"),
        UserUttered("je veux m'inscrire", {"name": "greet", "confidence": 0.9}),
        ActionExecuted("inscription_partenaire"),
        ActiveLoop("inscription_partenaire"),
        SlotSet("requested_slot", "email"),
        SlotSet("topic", "role.patient_partenaire"),
    )
    state = turn_state(t)
    assert state["active_loop"] == "inscription_partenaire"
    assert state["requested_slot"] == "email"
    assert state["slots_set"]["topic"] == "role.patient_partenaire"


def test_turn_state_says_which_form_the_message_answered() -> None:
    t = tracker(
        ActionExecuted("action_listen"),
        UserUttered("supprimer mes données", {"name": "retrait_inscription", "confidence": 0.9}),
        ActionExecuted("retrait_inscription"),
        ActiveLoop("retrait_inscription"),
        SlotSet("requested_slot", "retrait_email"),
        ActionExecuted("action_listen"),
        UserUttered("zoe@example.org", {"name": "nlu_fallback", "confidence": 0.3}),
        ActionExecuted("retrait_inscription"),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
    )
    state = turn_state(t)
    assert state["form_at_start"] == "retrait_inscription"
    assert state["active_loop"] is None
    assert turn_state(tracker(ActionExecuted("action_listen"), UserUttered("bonjour")))["form_at_start"] is None


def test_tracker_store_status_detects_the_silent_fallback_to_memory() -> None:
    store = FailSafeTrackerStore(InMemoryTrackerStore(DOMAIN))
    agent = SimpleNamespace(tracker_store=store)
    assert tracker_store_status(agent) == {"type": "InMemoryTrackerStore", "fell_back_to_memory": False}
    _ = store.fallback_tracker_store  # what Rasa does when the real store fails
    assert tracker_store_status(agent)["fell_back_to_memory"] is True


class BrokenStore(InMemoryTrackerStore):
    """A tracker store whose database is unreachable."""

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        raise ConnectionError("database unreachable")

    async def save(self, tracker: DialogueStateTracker) -> None:
        raise ConnectionError("database unreachable")


def test_the_watch_counts_the_errors_rasa_only_logs() -> None:
    store = FailSafeTrackerStore(BrokenStore(DOMAIN))
    agent = SimpleNamespace(tracker_store=store)
    watch = watch_tracker_store(agent)
    assert isinstance(watch, TrackerStoreWatch) and watch_tracker_store(agent) is watch  # installed once
    assert asyncio.run(store.retrieve("s")) is None  # Rasa would start the conversation from scratch
    asyncio.run(store.save(tracker(ActionExecuted("action_listen"))))  # …and keep the turn in memory
    assert watch.errors == 2
    status = tracker_store_status(agent)
    assert status["failing"] is True and status["fell_back_to_memory"] is True
    assert not store_healthy(status)


def test_the_saved_tracker_is_handed_over_once_and_only_for_awaited_turns() -> None:
    store = FailSafeTrackerStore(InMemoryTrackerStore(DOMAIN))
    agent = SimpleNamespace(tracker_store=store)
    saved = saved_trackers(agent)
    assert isinstance(saved, SavedTrackers) and saved_trackers(agent) is saved  # installed once
    turn = tracker(UserUttered("bonjour", {"name": "greet"}))
    asyncio.run(store.save(turn))  # nobody waits for "s": saved in the store, not kept
    assert saved.take("s") is None
    assert asyncio.run(store.retrieve("s")) is not None
    saved.expect("s")
    asyncio.run(store.save(turn))
    assert saved.take("s") is turn  # the very tracker Rasa saved: no read back
    assert saved.take("s") is None  # handed over once, nothing left behind
    assert saved._waiting == {} and saved._saved == {}


def test_a_store_in_memory_is_not_healthy_a_sql_one_is() -> None:
    assert not store_healthy({"type": "InMemoryTrackerStore", "fell_back_to_memory": False})
    assert store_healthy({"type": "SQLTrackerStore", "fell_back_to_memory": False, "failing": False})
    assert not store_healthy(None)


def test_the_channel_refuses_a_missing_or_short_token() -> None:
    with pytest.raises(ValueError, match="ENGINE_TOKEN"):
        FrontDoorInput.from_credentials({"token": ""})
    with pytest.raises(ValueError):
        FrontDoorInput.from_credentials(None)


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        ("Bearer a-long-enough-secret-token", True),
        ("bearer a-long-enough-secret-token", True),
        ("Bearer a-long-enough-secret-tokeN", False),
        ("a-long-enough-secret-token", False),
        ("Basic a-long-enough-secret-token", False),
        ("", False),
    ],
)
def test_only_the_bearer_token_is_authorized(header: str, allowed: bool) -> None:
    channel = FrontDoorInput.from_credentials({"token": "a-long-enough-secret-token"})
    request = SimpleNamespace(headers={"authorization": header} if header else {})
    assert channel.authorized(request) is allowed  # type: ignore[attr-defined, arg-type]


POSTGRES_URL = os.environ.get("PS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database; skipped, saying why, when the server is unreachable."""
    psycopg2 = pytest.importorskip("psycopg2")
    name = f"ps_engine_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg2.connect(POSTGRES_URL, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL} ({type(exc).__name__})")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_a_database_restart_costs_no_turn(postgres_database: str) -> None:
    """Rasa opens a connection at start-up; a restart of the server kills it before the first turn."""
    import psycopg2
    from rasa.core.tracker_store import SQLTrackerStore

    parts, database = urlsplit(POSTGRES_URL), postgres_database
    store = FailSafeTrackerStore(
        SQLTrackerStore(
            DOMAIN,
            dialect="postgresql",
            host=parts.hostname,
            port=parts.port,
            db=database,
            username=parts.username,
            password=parts.password,
        )
    )
    agent = SimpleNamespace(tracker_store=store)
    watch = watch_tracker_store(agent)
    assert isinstance(watch, TrackerStoreWatch)

    def restart() -> None:
        """What a restart of the server does to every open connection of the tracker store's database."""
        with closing(psycopg2.connect(POSTGRES_URL)) as admin, admin, admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))

    restart()  # before the first turn: the start-up connection, had it been kept, would be dead
    asyncio.run(store.save(tracker(ActionExecuted("action_listen"))))
    restart()  # between two turns: the pooled connection is dead
    saved = asyncio.run(store.retrieve("s"))
    assert saved is not None and len(saved.events) == 1  # read from the database, not started afresh
    assert watch.errors == 0


def test_an_instance_serving_from_memory_sends_its_turns_elsewhere(tmp_path: Path) -> None:
    """Rasa serves from memory when its endpoints name no usable tracker store: such an instance takes no turn."""
    from rasa.core.tracker_store import SQLTrackerStore

    def agent(store: object, ready: bool = True) -> SimpleNamespace:
        return SimpleNamespace(tracker_store=store, is_ready=lambda: ready)

    assert not_serving(None)
    assert not_serving(agent(FailSafeTrackerStore(InMemoryTrackerStore(DOMAIN))))
    sql = FailSafeTrackerStore(SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db")))
    assert not_serving(agent(sql, ready=False))  # the model is still loading
    assert not not_serving(agent(sql))
