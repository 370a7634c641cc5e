"""Schemathesis against the OpenAPI schema of every public and back-office route.

The app runs with the engine faked (``FakeEngine``) and the rate limits off (the
fuzzer sends hundreds of requests from one client).  Back-office routes are
called with the cookie of a signed-in manager (``gestionnaire``); logging out is
left out (it would end that session for the cases after it).  Every response is
checked by schemathesis' default checks: no 5xx, status codes, content types,
headers and bodies as the schema documents them, invalid input rejected.

Bounded: ``FUZZ_EXAMPLES`` examples per operation and mode (50 by default), no deadline.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from server.engine_client import EngineClient
from server.main import create_app
from server.settings import Settings
from server.staff import COOKIE
from store.migrate import upgrade
from tests.api.conftest import FakeEngine, manager_session
from tests.api.test_admin import seed
from tests.helpers import TOKEN
from tests.tracker_store import create_tracker_store

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    tracker = create_tracker_store(tmp / "tracker.db")
    app_settings = Settings(
        database_url=f"sqlite:///{tmp / 'app.db'}",
        tracker_url=f"sqlite:///{tracker}",
        engine_token=TOKEN,  # type: ignore[arg-type]
        rate_limits_enabled=False,
    )
    upgrade(app_settings.database_url)
    seed(app_settings)  # a ticket and a registration for the routes that read them
    token = asyncio.run(manager_session(app_settings.database_url, "fuzz.manager"))
    fake = FakeEngine()
    engine = EngineClient(
        app_settings.engine_url, TOKEN, app_settings.action_server_url, transport=httpx.MockTransport(fake.handler)
    )
    yield create_app(app_settings, engine_client=engine), token


def fuzz_operation(operation: Any, token: str, mode: GenerationMode) -> int:
    """Send ``EXAMPLES`` generated cases to one operation and check each response; return how many were sent."""
    sent = 0
    admin = operation.path.startswith("/admin/api") and operation.path != "/admin/api/login"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        nonlocal sent
        sent += 1
        response = case.call_and_validate(headers={"Cookie": f"{COOKIE}={token}"})
        if admin:
            assert response.status_code != 401  # reached as a signed-in manager, not refused at the door

    run()
    return sent


def fuzz(app: Any, token: str, mode: GenerationMode) -> tuple[int, list[str]]:
    """Fuzz every operation; return how many cases were sent and the failures, one line each."""
    api = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/admin/api/logout")
    sent = 0
    failures: list[str] = []
    for result in api.get_all_operations():
        operation = result.ok()
        try:
            sent += fuzz_operation(operation, token, mode)
        except Unsatisfiable:
            assert mode == GenerationMode.NEGATIVE, operation.path  # nothing to negate (no parameter, no body)
        except (Exception, BaseExceptionGroup) as exc:  # every operation is fuzzed; failures are reported together
            text = str(exc).strip()
            failures.append(f"{operation.method.upper()} {operation.path}: {text[:2000] or type(exc).__name__}")
    return sent, failures


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_route_conforms_to_its_schema_and_never_fails(fuzz_app: tuple[Any, str], mode: GenerationMode) -> None:
    app, token = fuzz_app
    sent, failures = fuzz(app, token, mode)
    print(f"{mode.value}: {sent} cases, {len(failures)} failing operations")
    assert failures == [], "\n".join(failures)
    assert sent >= 10 * EXAMPLES


def test_the_schema_covers_the_public_and_the_back_office_routes(fuzz_app: tuple[Any, str]) -> None:
    app, _ = fuzz_app
    paths = set(app.openapi()["paths"])
    assert {"/api/chat", "/api/feedback", "/api/glossaire", "/health"} <= paths
    assert {"/admin/api/tickets", "/admin/api/acces", "/admin/api/effacement", "/admin/api/login"} <= paths
    assert len(paths) >= 18
