"""Right of access and erasure for one e-mail: POST /admin/api/acces, POST /admin/api/effacement.

The back office's helpers (accounts, seed rows) come from ``test_admin``; the
tracker store is a temporary SQLite file with Rasa's ``events`` table.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowledge.messages import message
from server.settings import Settings
from store.models import StaffRole
from tests.api.conftest import api_settings
from tests.api.test_admin import add_user, audit_rows, db_path, login, seed

NOW = 1_790_000_000.0


@pytest.fixture
def settings(tmp_path: Path, tracker_db: Path) -> Settings:
    """The API tests' settings, with a tracker store of this test's own."""
    with sqlite3.connect(tracker_db) as db:

        def event(sender: str, kind: str, at: float, text: str | None = None) -> tuple[Any, ...]:
            data = {"event": kind, "timestamp": at, **({"text": text} if text is not None else {})}
            return (sender, kind, at, json.dumps(data, ensure_ascii=False))

        db.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
            [
                event("s2", "action", NOW),
                event("s2", "user", NOW + 1, "je veux m'inscrire"),
                event("s2", "bot", NOW + 2, "Votre prénom ?"),
                event("s1", "user", NOW + 3, "je veux faire une réclamation"),
                event("s1", "bot", NOW + 4, "Décrivez votre demande."),
                event("s1", "slot", NOW + 5),
                event("s3", "user", NOW + 6, "une autre personne"),
            ],
        )
    return api_settings(tmp_path, tracker_url=f"sqlite:///{tracker_db}")


def rows(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path(settings)) as db:
        return db.execute(sql).fetchall()


def tracker(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(settings.tracker_url.removeprefix("sqlite:///")) as db:
        return db.execute(sql).fetchall()


@pytest.fixture
def held(client: TestClient, settings: Settings) -> Iterator[TestClient]:
    """Zoé's registration (conversation s2), Jo's ticket (s1), and what else their conversations left."""
    add_user(settings, "gina", StaffRole.GESTIONNAIRE)
    add_user(settings, "luc", StaffRole.LECTEUR)
    seed(settings)
    with sqlite3.connect(db_path(settings)) as db:
        db.execute("UPDATE tickets SET contact = 'Zoe@Example.org ' WHERE reference = 'TK-AAAAAAAAAA'")
        db.executemany(
            "INSERT INTO chat_sessions (id, channel, created_at, last_seen_at, offered_payloads)"
            " VALUES (?, 'api', '2026-11-20 10:00:00', '2026-11-20 10:00:00', '[]')",
            [("s1",), ("s2",), ("s3",)],
        )
        db.execute(
            "INSERT INTO feedback (session_id, topic, useful, message, comment, created_at)"
            " VALUES ('s2', 'role.patient_partenaire', 0, 'Réponse notée', 'pas clair', '2026-11-20 10:00:00')"
        )
        db.execute(
            "INSERT INTO unanswered (session_id, kind, text, created_at)"
            " VALUES ('s1', 'fallback', 'mon voisin de chambre', '2026-11-20 10:00:00')"
        )
        db.execute(
            "INSERT INTO unanswered (session_id, kind, text, created_at)"
            " VALUES ('s3', 'fallback', 'quelqu''un d''autre', '2026-11-20 10:00:00')"
        )
        db.execute(
            "INSERT INTO outbox (ticket_id, \"to\", subject, body, state, attempts, next_attempt_at, created_at)"
            " SELECT id, 's@hopital.example', 'Demande', 'Contact : zoe@example.org', 'envoyee', 1,"
            " '2026-11-20 10:00:00', '2026-11-20 10:00:00' FROM tickets"
        )
    yield client


def test_a_manager_exports_everything_held_about_an_email(held: TestClient, settings: Settings) -> None:
    login(held, "gina")
    response = held.post("/admin/api/acces", json={"email": "ZOE@example.org"})
    assert response.status_code == 200, response.text
    export = response.json()
    assert export["registration"]["reference"] == "PP-AAAAAAAAAA"
    assert export["registration"]["telephone"] == "+33612345678"
    assert [t["reference"] for t in export["tickets"]] == ["TK-AAAAAAAAAA"]
    assert export["tickets"][0]["contact"] == "Zoe@Example.org "
    assert export["conversations"] == [
        {
            "session_id": "s2",
            "messages": [
                {"at": "2026-09-21T14:13:21Z", "speaker": "user", "text": "je veux m'inscrire"},
                {"at": "2026-09-21T14:13:22Z", "speaker": "bot", "text": "Votre prénom ?"},
            ],
        },
        {
            "session_id": "s1",
            "messages": [
                {"at": "2026-09-21T14:13:23Z", "speaker": "user", "text": "je veux faire une réclamation"},
                {"at": "2026-09-21T14:13:24Z", "speaker": "bot", "text": "Décrivez votre demande."},
            ],
        },
    ]
    assert [f["comment"] for f in export["feedback"]] == ["pas clair"]
    assert [u["text"] for u in export["unanswered"]] == ["mon voisin de chambre"]
    assert "une autre personne" not in response.text and "quelqu'un d'autre" not in response.text
    # Audited, without the address (the audit log cannot be erased).
    assert ("gina", "export", "access", "PP-AAAAAAAAAA") in audit_rows(settings)
    with sqlite3.connect(db_path(settings)) as db:
        assert db.execute("SELECT count(*) FROM audit_log WHERE detail LIKE '%zoe%'").fetchone() == (0,)


def test_an_address_nobody_has_gives_an_empty_export(held: TestClient) -> None:
    login(held, "gina")
    export = held.post("/admin/api/acces", json={"email": "personne@example.org"}).json()
    assert export == {
        "email": "personne@example.org",
        "registration": None,
        "tickets": [],
        "conversations": [],
        "feedback": [],
        "unanswered": [],
    }


@pytest.mark.parametrize("email", ["", "pas-une-adresse", "a b@c.d", "x@" + "y" * 260])
def test_a_malformed_address_is_refused(held: TestClient, email: str) -> None:
    login(held, "gina")
    response = held.post("/admin/api/acces", json={"email": email})
    assert response.status_code == 422 and response.json() == {"detail": message("invalid_request")}
    assert held.post("/admin/api/effacement", json={"email": email}).status_code == 422


def test_only_a_manager_exports_or_erases(held: TestClient, settings: Settings) -> None:
    assert held.post("/admin/api/acces", json={"email": "zoe@example.org"}).status_code == 401
    assert held.post("/admin/api/effacement", json={"email": "zoe@example.org"}).status_code == 401
    login(held, "luc")
    for response in (
        held.post("/admin/api/acces", json={"email": "zoe@example.org"}),
        held.post("/admin/api/effacement", json={"email": "zoe@example.org"}),
    ):
        assert response.status_code == 403 and response.json() == {"detail": message("admin_forbidden")}
    assert rows(settings, "SELECT count(*) FROM registrations") == [(1,)]


def test_erasure_deletes_the_same_set_and_nothing_else(held: TestClient, settings: Settings) -> None:
    login(held, "gina")
    response = held.post("/admin/api/effacement", json={"email": "zoe@example.org"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "detail": message("admin_erased"),
        "registrations": 1,
        "tickets": 1,
        "conversations": 2,
    }
    assert rows(settings, "SELECT count(*) FROM registrations") == [(0,)]
    assert rows(settings, "SELECT count(*) FROM tickets") == [(0,)]
    assert rows(settings, "SELECT count(*) FROM outbox") == [(0,)]
    assert rows(settings, "SELECT id FROM chat_sessions") == [("s3",)]
    assert rows(settings, "SELECT count(*) FROM feedback") == [(0,)]
    assert rows(settings, "SELECT session_id FROM unanswered") == [("s3",)]
    assert rows(settings, "SELECT count(*) FROM withdrawal_notes") == [(1,)]
    # The transcripts went from the tracker store once the erasure was committed; other conversations stay.
    assert tracker(settings, "SELECT DISTINCT sender_id FROM events") == [("s3",)]
    assert rows(settings, "SELECT count(*) FROM erasure_requests") == [(0,)]
    assert ("gina", "erase", "person", "PP-AAAAAAAAAA") in audit_rows(settings)
    # Nothing is left to export.
    export = held.post("/admin/api/acces", json={"email": "zoe@example.org"}).json()
    assert export["registration"] is None and export["tickets"] == [] and export["conversations"] == []


def test_an_unreachable_tracker_store_gives_503_not_a_partial_export(held: TestClient, settings: Settings) -> None:
    Path(settings.tracker_url.removeprefix("sqlite:///")).unlink()
    Path(settings.tracker_url.removeprefix("sqlite:///")).mkdir()  # a directory: SQLite cannot open it
    login(held, "gina")
    response = held.post("/admin/api/acces", json={"email": "zoe@example.org"})
    assert response.status_code == 503 and response.json() == {"detail": message("admin_access_unavailable")}
