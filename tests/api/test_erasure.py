"""After a withdrawal turn, the front door erases the queued conversations from the tracker store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from server.engine_client import EngineClient
from server.main import create_app
from server.settings import Settings
from tests.api.conftest import FakeEngine


def test_a_withdrawal_turn_erases_the_queued_conversations(tmp_path: Path, fake_engine: FakeEngine) -> None:
    tracker_db = tmp_path / "tracker.db"
    with sqlite3.connect(tracker_db) as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        db.executemany(
            "INSERT INTO events (sender_id, data) VALUES (?, ?)", [("old-session", "x"), ("someone-else", "y")]
        )
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        tracker_url=f"sqlite:///{tracker_db}",
        engine_token="test-token-0123456789abcdef",  # type: ignore[arg-type]
    )
    engine = EngineClient(
        settings.engine_url,
        "test-token-0123456789abcdef",
        settings.action_server_url,
        transport=httpx.MockTransport(fake_engine.handler),
    )

    def withdrawn(body: dict[str, Any]) -> dict[str, Any]:
        # The action server queued the erasure in the same transaction as the deletion.
        with sqlite3.connect(tmp_path / "app.db") as db:
            db.execute(
                "INSERT INTO erasure_requests (sender_ids, created_at) VALUES (?, '2026-11-24 10:00:00')",
                (json.dumps(["old-session", body["sender"]]),),
            )
        with sqlite3.connect(tracker_db) as db:
            db.execute("INSERT INTO events (sender_id, data) VALUES (?, 'z')", (body["sender"],))
        return {
            "messages": [{"text": "Votre inscription est retirée."}],
            "state": {"slots_set": {}, "slots": {}, "active_loop": None, "actions": ["action_submit_retrait"]},
        }

    fake_engine.reply = withdrawn
    with TestClient(create_app(settings, engine_client=engine)) as client:
        response = client.post("/api/chat", json={"message": "PP-7K3M9QX2VD"})
    assert response.status_code == 200
    with sqlite3.connect(tracker_db) as db:
        assert db.execute("SELECT sender_id FROM events").fetchall() == [("someone-else",)]
    with sqlite3.connect(tmp_path / "app.db") as db:
        assert db.execute("SELECT COUNT(*) FROM erasure_requests").fetchone() == (0,)
