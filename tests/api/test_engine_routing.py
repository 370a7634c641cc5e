"""Several engine instances: each session on one instance by rendezvous hashing, failover when it is down,
per-instance health, per-session ordering, and the messages kept when no engine answers (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from knowledge.messages import message
from server.chat import ChatService, SessionLocks
from server.engine_client import EngineClient, EngineUnavailable, instance_order
from server.main import create_app
from server.settings import Settings
from store.engine import create_engine, session_factory, transaction
from store.migrate import upgrade
from store.models import UndeliveredMessage
from tests.api.conftest import FakeEngine
from tests.helpers import TOKEN

ENGINES = ["http://127.0.0.1:5005", "http://127.0.0.1:5006", "http://127.0.0.1:5007"]


class Engines:
    """Three fake engines; ``down`` ones refuse connections; each records the senders it served."""

    def __init__(self) -> None:
        self.down: set[str] = set()
        self.served: dict[str, list[str]] = {url: [] for url in ENGINES}
        self.status: dict[str, tuple[int, dict[str, Any]]] = {}

    def handler(self, request: httpx.Request) -> httpx.Response:
        base = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
        if request.url.port == 5055:
            return httpx.Response(200, json={"status": "ok"})
        if base in self.down:
            raise httpx.ConnectError("refused")
        if base in self.status:
            code, body = self.status[base]
            return httpx.Response(code, json=body)
        if request.method == "GET":
            return httpx.Response(200, json={"status": "ok", "tracker_store": {"type": "SQLTrackerStore"}})
        body = json.loads(request.content)
        self.served[base].append(body["sender"])
        return httpx.Response(200, json={"messages": [{"text": f"re: {body['message']}"}], "state": {}})


def client_for(engines: Engines, urls: list[str] = ENGINES) -> EngineClient:
    return EngineClient(urls, TOKEN, "http://127.0.0.1:5055", transport=httpx.MockTransport(engines.handler))


def test_the_order_is_stable_and_spreads_sessions() -> None:
    sessions = [secrets.token_urlsafe(24) for _ in range(600)]
    firsts = Counter(instance_order(s, ENGINES)[0] for s in sessions)
    assert all(150 < firsts[url] < 250 for url in ENGINES), firsts
    for session in sessions[:50]:
        order = instance_order(session, ENGINES)
        assert sorted(order) == sorted(ENGINES)
        assert instance_order(session, list(reversed(ENGINES))) == order  # the list's order does not matter


def test_removing_an_instance_moves_only_its_sessions() -> None:
    sessions = [secrets.token_urlsafe(24) for _ in range(300)]
    before = {s: instance_order(s, ENGINES)[0] for s in sessions}
    after = {s: instance_order(s, ENGINES[:2])[0] for s in sessions}
    moved = [s for s in sessions if before[s] != after[s]]
    assert moved and all(before[s] == ENGINES[2] for s in moved)
    # …and they go where the full order said they would go next.
    assert all(after[s] == instance_order(s, ENGINES)[1] for s in moved)


async def test_a_session_always_goes_to_its_instance() -> None:
    engines = Engines()
    client = client_for(engines)
    session = secrets.token_urlsafe(24)
    for _ in range(5):
        await client.send(session, "bonjour", {})
    owner = instance_order(session, ENGINES)[0]
    assert engines.served[owner] == [session] * 5
    assert sum(len(v) for v in engines.served.values()) == 5
    await client.aclose()


async def test_failover_to_the_next_instance_when_the_first_is_down() -> None:
    engines = Engines()
    client = client_for(engines)
    session = secrets.token_urlsafe(24)
    first, second, third = instance_order(session, ENGINES)
    engines.down.add(first)
    turn = await client.send(session, "bonjour", {})
    assert turn.messages == [{"text": "re: bonjour"}]
    assert engines.served[second] == [session]
    engines.down.add(second)
    await client.send(session, "encore", {})
    assert engines.served[third] == [session]
    engines.down.clear()  # back: the session returns to its own instance
    await client.send(session, "enfin", {})
    assert engines.served[first] == [session]
    await client.aclose()


async def test_an_engine_still_loading_is_skipped_but_an_error_is_not_retried_elsewhere() -> None:
    engines = Engines()
    client = client_for(engines)
    session = secrets.token_urlsafe(24)
    first, second, _ = instance_order(session, ENGINES)
    engines.status[first] = (503, {"error": "not_ready"})
    await client.send(session, "bonjour", {})
    assert engines.served[second] == [session]
    # A 500 may come after the engine processed the turn: never sent to another instance.
    engines.status[first] = (500, {"error": "engine_failure"})
    with pytest.raises(EngineUnavailable) as failed:
        await client.send(session, "encore", {})
    assert failed.value.component == "engine"
    assert engines.served[second] == [session]
    engines.status[first] = (503, {"error": "tracker_store"})
    with pytest.raises(EngineUnavailable) as failed:
        await client.send(session, "encore", {})
    assert failed.value.component == "tracker_store"
    await client.aclose()


async def test_every_instance_down_is_engine_unavailable() -> None:
    engines = Engines()
    engines.down.update(ENGINES)
    client = client_for(engines)
    with pytest.raises(EngineUnavailable) as failed:
        await client.send("s" * 32, "bonjour", {})
    assert failed.value.component == "engine"
    await client.aclose()


async def test_health_reports_each_instance() -> None:
    engines = Engines()
    client = client_for(engines)
    assert (await client.engine_health())["status"] == "ok"
    engines.down.add(ENGINES[1])
    health = await client.engine_health()
    assert health["status"] == "partial"
    assert [(i["url"], i["status"]) for i in health["instances"]] == [
        (ENGINES[0], "ok"),
        (ENGINES[1], "down"),
        (ENGINES[2], "ok"),
    ]
    assert health["tracker_store"] == {"type": "SQLTrackerStore"}
    engines.down.update(ENGINES)
    assert (await client.engine_health())["status"] == "down"
    await client.aclose()


async def test_session_locks_serialise_in_arrival_order_and_are_dropped() -> None:
    locks = SessionLocks()
    order: list[int] = []

    async def turn(index: int) -> None:
        async with locks.hold("session"):
            await asyncio.sleep(0.01 * (5 - index))  # the first ones are the slowest
            order.append(index)

    tasks = []
    for index in range(5):
        tasks.append(asyncio.create_task(turn(index)))
        await asyncio.sleep(0)  # arrival order
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert len(locks) == 0


async def test_the_chat_service_runs_one_turn_of_a_session_at_a_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    db = create_engine(url)
    running: list[int] = []
    peak: list[int] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        running.append(1)
        peak.append(len(running))
        await asyncio.sleep(0.05)
        running.pop()
        body = json.loads(request.content)
        return httpx.Response(200, json={"messages": [{"text": body["message"]}], "state": {}})

    engine = EngineClient(ENGINES[:1], TOKEN, "http://127.0.0.1:5055", transport=httpx.MockTransport(slow))
    chat = ChatService(session_factory(db), engine)
    sid = (await chat.turn("bonjour", None, "patient")).session_id
    replies = await asyncio.gather(*(chat.turn(f"message {i}", sid, "patient") for i in range(5)))
    assert [r.messages[0].text for r in replies] == [f"message {i}" for i in range(5)]
    assert max(peak) == 1
    await engine.aclose()
    await db.dispose()


def test_a_message_no_engine_could_handle_is_kept_then_cleared(tmp_path: Path) -> None:
    engines = Engines()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        engine_urls=ENGINES[:2],
        action_server_url="http://127.0.0.1:5055",
        engine_token=TOKEN,  # type: ignore[arg-type]
    )
    with TestClient(create_app(settings, engine_client=client_for(engines, ENGINES[:2]))) as client:
        sid = client.post("/api/chat", json={"message": "bonjour"}).json()["session_id"]
        engines.down.update(ENGINES[:2])
        response = client.post("/api/chat", json={"message": "mon message important", "session_id": sid})
        assert response.status_code == 503
        assert response.json() == {"detail": message("unavailable"), "component": "engine", "session_id": sid}
        health = client.get("/health")
        assert health.status_code == 503
        assert [i["status"] for i in health.json()["components"]["engine"]["instances"]] == ["down", "down"]

        async def kept() -> list[tuple[str, str, str]]:
            db = create_engine(settings.database_url)
            async with transaction(session_factory(db)) as session:
                rows = (await session.scalars(select(UndeliveredMessage))).all()
                found = [(r.session_id, r.text, r.component) for r in rows]
            await db.dispose()
            return found

        assert asyncio.run(kept()) == [(sid, "mon message important", "engine")]
        engines.down.discard(ENGINES[0])
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["components"]["engine"]["status"] == "partial"
        assert client.post("/api/chat", json={"message": "mon message important", "session_id": sid}).status_code == 200
        assert asyncio.run(kept()) == []


def test_a_silent_form_turn_with_the_action_server_down_says_nothing_was_saved(
    client: TestClient, fake_engine: FakeEngine
) -> None:
    """A form's validation runs on the action server; when it is down, Rasa answers nothing and no ``action_``."""
    state = {"active_loop": "inscription_partenaire", "form_at_start": "inscription_partenaire", "actions": []}
    state |= {"requested_slot": "confirmation", "slots": {}, "slots_set": {}}
    fake_engine.reply = lambda body: {"messages": [], "state": {**state, "actions": ["inscription_partenaire"]}}
    fake_engine.actions_up = False
    response = client.post("/api/chat", json={"message": "/affirm"})
    assert response.status_code == 503
    assert response.json()["detail"] == message("unavailable_in_form")
    assert response.json()["component"] == "actions"
