from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import FakeEngine


def test_health_is_200_when_every_component_is_up(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: c["status"] for name, c in body["components"].items()} == {
        "engine": "ok",
        "actions": "ok",
        "database": "ok",
    }


def test_health_names_the_component_that_is_down(client: TestClient, fake_engine: FakeEngine) -> None:
    fake_engine.engine_up = False
    body = client.get("/health").json()
    assert body["components"]["engine"]["status"] == "down"
    assert body["components"]["actions"]["status"] == "ok"
    assert client.get("/health").status_code == 503

    fake_engine.engine_up, fake_engine.actions_up = True, False
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["components"]["actions"]["status"] == "down"
    assert response.json()["components"]["engine"]["status"] == "ok"
