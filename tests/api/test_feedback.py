"""POST /api/feedback: ratings stored with topic, answer and session; bad input gets French errors."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowledge.messages import message
from server.settings import Settings

ANSWER = "Un patient partenaire est une personne qui vit ou a vécu avec une maladie…"


def new_session(client: TestClient) -> str:
    session_id: str = client.post("/api/chat", json={"message": "bonjour"}).json()["session_id"]
    return session_id


def stored(settings: Settings) -> list[tuple[Any, ...]]:
    path = settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute("SELECT session_id, topic, useful, message, comment FROM feedback ORDER BY id").fetchall()


def test_a_rating_is_stored_with_topic_message_and_session(client: TestClient, settings: Settings) -> None:
    sid = new_session(client)
    first = client.post(
        "/api/feedback", json={"session_id": sid, "topic": "role.patient_partenaire", "useful": True, "message": ANSWER}
    )
    second = client.post(
        "/api/feedback",
        json={"session_id": sid, "topic": "droit.personne_confiance", "useful": False, "message": "Texte",
              "comment": "<b>trop long</b>"},
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["detail"] == message("feedback_thanks")
    assert second.json()["id"] > first.json()["id"]
    assert stored(settings) == [
        (sid, "role.patient_partenaire", 1, ANSWER, None),
        (sid, "droit.personne_confiance", 0, "Texte", "<b>trop long</b>"),
    ]


@pytest.mark.parametrize(
    ("change", "status", "key"),
    [
        ({"topic": "role.inexistant"}, 422, "feedback_unknown_topic"),
        ({"topic": "'; DROP TABLE feedback; --"}, 422, "feedback_unknown_topic"),
        ({"session_id": "x" * 40}, 404, "feedback_unknown_session"),
        ({"session_id": "../../etc"}, 404, "feedback_unknown_session"),
        ({"message": "   "}, 422, "feedback_invalid"),
        ({"message": "a" * 4001}, 422, "invalid_request"),
        ({"useful": "peut-être"}, 422, "invalid_request"),
    ],
)
def test_bad_ratings_get_a_french_error_and_store_nothing(
    client: TestClient, settings: Settings, change: dict[str, Any], status: int, key: str
) -> None:
    body = {"session_id": new_session(client), "topic": "service.cdu", "useful": True, "message": ANSWER} | change
    response = client.post("/api/feedback", json=body)
    assert response.status_code == status
    assert response.json()["detail"] == message(key)
    assert stored(settings) == []
