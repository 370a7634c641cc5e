"""The FastAPI app on a temporary SQLite database, with the engine faked by httpx.MockTransport."""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.engine_client import EngineClient
from server.main import create_app
from server.settings import Settings
from server.staff import create_user, open_session
from store.engine import create_engine, session_factory, transaction
from store.migrate import upgrade
from store.models import StaffRole
from tests.helpers import TOKEN

Handler = Callable[[httpx.Request], httpx.Response]


class FakeEngine:
    """Answers like the engine's frontdoor channel; records what it received."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.reply: Callable[[dict[str, Any]], dict[str, Any]] = lambda body: {
            "messages": [{"recipient_id": body["sender"], "text": "Bonjour !"}],
            "state": {"slots_set": {}, "slots": {}, "active_loop": None, "requested_slot": None, "actions": []},
        }
        self.engine_up = True
        self.actions_up = True

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.port == 5055:
            if not self.actions_up:
                raise httpx.ConnectError("refused")
            return httpx.Response(200, json={"status": "ok"})
        if not self.engine_up:
            raise httpx.ConnectError("refused")
        if request.headers.get("authorization") != "Bearer test-token-0123456789abcdef":
            return httpx.Response(401, json={"error": "unauthorized"})
        if request.method == "GET":
            return httpx.Response(200, json={"status": "ok", "tracker_store": {"type": "SQLTrackerStore"}})
        body = json.loads(request.content)
        self.received.append(body)
        return httpx.Response(200, json=self.reply(body))


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()


@functools.cache
def migrated_template() -> Path:
    """An empty database at the schema's head, migrated once per test process.

    Each test's ``app.db`` starts as a copy of it: the app's start-up migration then finds
    it up to date (milliseconds) instead of creating every table again (a quarter of the
X
    """
    folder = Path(tempfile.mkdtemp(prefix="api-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "app.db"
    upgrade(f"sqlite:///{path}")
    return path


def api_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for an app on ``tmp_path/app.db`` (a copy of the migrated template), the engine and actions at
    their usual (faked) URLs."""
    database = tmp_path / "app.db"
    if "database_url" not in overrides and not database.exists():
        shutil.copyfile(migrated_template(), database)
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'app.db'}",
        "engine_url": "http://127.0.0.1:5005",
        "action_server_url": "http://127.0.0.1:5055",
        "engine_token": TOKEN,
    }
    return Settings(**{**values, **overrides})


async def manager_session(database_url: str, username: str) -> str:
    """A back-office manager account created in ``database_url``, and the token of a session opened for it."""
    engine = create_engine(database_url)
    try:
        async with transaction(session_factory(engine)) as db:
            user = await create_user(db, username, "correct horse battery staple", StaffRole.GESTIONNAIRE)
            return await open_session(db, user)
    finally:
        await engine.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return api_settings(tmp_path)


def fake_app(settings: Settings, fake_engine: FakeEngine) -> FastAPI:
    """The app on ``settings``, its engine (and action server) answered by ``fake_engine``."""
    engine = EngineClient(
        settings.engine_url,
        TOKEN,
        settings.action_server_url,
        transport=httpx.MockTransport(fake_engine.handler),
    )
    return create_app(settings, engine_client=engine)


@contextmanager
def app_client(settings: Settings, fake_engine: FakeEngine) -> Iterator[TestClient]:
    """A started ``TestClient`` of ``fake_app(settings, fake_engine)``."""
    with TestClient(fake_app(settings, fake_engine)) as test_client:
        yield test_client


@pytest.fixture
def client(settings: Settings, fake_engine: FakeEngine) -> Iterator[TestClient]:
    with app_client(settings, fake_engine) as test_client:
        yield test_client
