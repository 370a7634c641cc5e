"""After a withdrawal turn, the front door erases the queued conversations from the tracker store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from server.settings import Settings
from tests.api.conftest import FakeEngine, app_client
from tests.tracker_store import add_events


def test_a_withdrawal_turn_erases_the_queued_conversations(
    tmp_path: Path, fake_engine: FakeEngine, tracker_db: Path
) -> None:
    add_events(tracker_db, [("old-session", "x"), ("someone-else", "y")])
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        tracker_url=f"sqlite:///{tracker_db}",
        engine_token="test-token-0123456789abcdef",  # type: ignore[arg-type]
    )

    def withdrawn(body: dict[str, Any]) -> dict[str, Any]:
        # The action server queued the erasure in the same transaction as the deletion.
        with sqlite3.connect(tmp_path / "app.db") as db:
            db.execute(
                "INSERT INTO erasure_requests (sender_ids, created_at) VALUES (?, '2026-11-24 10:00:00')",
                (json.dumps(["old-session", body["sender"]]),),
            )
        add_events(tracker_db, [(body["sender"], "z")])
        return {
            "messages": [{"text": "Votre inscription est retirée."}],
            "state": {
                "slots_set": {},
                "slots": {},
                "active_loop": None,
                "actions": ["action_submit_retrait"],
                "effects": ["registration_withdrawn"],
            },
        }

    fake_engine.reply = withdrawn
    with app_client(settings, fake_engine) as client:
        response = client.post("/api/chat", json={"message": "PP-7K3M9QX2VD"})
    assert response.status_code == 200
    with sqlite3.connect(tracker_db) as db:
        assert db.execute("SELECT sender_id FROM events").fetchall() == [("someone-else",)]
    with sqlite3.connect(tmp_path / "app.db") as db:
        assert db.execute("SELECT COUNT(*) FROM erasure_requests").fetchone() == (0,)
