"""The back office: authentication on every route, roles, CSV export, audit log, unanswered questions."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from knowledge.messages import message
from server.settings import Settings
from server.staff import create_user
from store.engine import create_engine, session_factory, transaction
from store.models import StaffRole
from tests.api.conftest import FakeEngine

PASSWORD = "correct horse battery staple"


def add_user(settings: Settings, username: str, role: StaffRole) -> None:
    async def run() -> None:
        engine = create_engine(settings.database_url)
        async with transaction(session_factory(engine)) as db:
            await create_user(db, username, PASSWORD, role)
        await engine.dispose()

    asyncio.run(run())


def db_path(settings: Settings) -> str:
    return settings.database_url.removeprefix("sqlite:///")


def seed(settings: Settings) -> None:
    with sqlite3.connect(db_path(settings)) as db:
        db.execute(
            "INSERT INTO tickets (reference, idempotency_key, request_type, service, description, contact, transcript,"
            " consent_at, channel, session_id, status, notification, created_at)"
            " VALUES ('TK-AAAAAAAAAA', 'k1', 'reclamation', 'relations_usagers', 'Neuf heures d''attente.',"
            " 'jo@example.org', NULL, '2026-11-20 10:00:00', 'api', 's1', 'nouveau', 'en_attente',"
            " '2026-11-20 10:00:00')"
        )
        db.execute(
            "INSERT INTO registrations (reference, idempotency_key, status, prenom, nom, email, email_key, telephone,"
            " profil, domaines, experience, disponibilites, consent_at, consent_notice_version, channel, session_ids,"
            " created_at, updated_at) VALUES ('PP-AAAAAAAAAA', 'k2', 'nouvelle', 'Zoé', 'Le Gall', 'zoe@example.org',"
            " 'zoe@example.org', '+33612345678', 'patient', '[\"recherche\", \"formation_professionnels\"]', NULL,"
            " 'le mardi', '2026-11-20 10:00:00', '2026-11-24', 'api', '[\"s2\"]', '2026-11-20 10:00:00',"
            " '2026-11-20 10:00:00')"
        )


@pytest.fixture
def admin(client: TestClient, settings: Settings) -> Iterator[TestClient]:
    add_user(settings, "gina", StaffRole.GESTIONNAIRE)
    add_user(settings, "luc", StaffRole.LECTEUR)
    seed(settings)
    yield client


def login(client: TestClient, username: str) -> None:
    response = client.post("/admin/api/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text


def audit_rows(settings: Settings) -> list[tuple[str, str, str, Any]]:
    with sqlite3.connect(db_path(settings)) as db:
        return db.execute("SELECT username, action, object_type, object_id FROM audit_log ORDER BY id").fetchall()


def routes_of(routes: list[Any]) -> Iterator[Any]:
    """Every route of the app, including those of the routers it includes."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from routes_of(included.routes)
        else:
            yield route


def admin_routes(client: TestClient) -> list[tuple[str, str]]:
    found = []
    for route in routes_of(client.app.routes):  # type: ignore[attr-defined]
        path = getattr(route, "path", "")
        if not path.startswith("/admin"):
            continue
        methods = route.methods if isinstance(route, APIRoute) else getattr(route, "methods", {"GET"})
        for method in sorted(methods - {"HEAD"}):
            found.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return found


def test_every_admin_route_refuses_without_a_session(admin: TestClient) -> None:
    routes = admin_routes(admin)
    assert len(routes) >= 12
    for method, path in routes:
        if path == "/admin/api/login":
            continue
        response = admin.request(method, path, json={"status": "clos", "text": "x", "handled": True})
        assert response.status_code in (401, 403), (method, path, response.status_code)
        if response.headers["content-type"].startswith("application/json"):
            assert response.json() == {"detail": message("admin_login_required")}
        else:
            assert "TK-" not in response.text and "zoe@" not in response.text
    forged = admin.get("/admin/api/tickets", cookies={"ps_staff": "forged-token"})
    assert forged.status_code == 401


def test_wrong_password_is_refused(admin: TestClient) -> None:
    response = admin.post("/admin/api/login", json={"username": "gina", "password": "wrong password!"})
    assert response.status_code == 401 and response.json() == {"detail": message("admin_bad_credentials")}
    assert admin.post("/admin/api/login", json={"username": "nobody", "password": PASSWORD}).status_code == 401


def test_a_reader_reads_but_cannot_change_export_or_see_the_audit(admin: TestClient, settings: Settings) -> None:
    login(admin, "luc")
    assert admin.get("/admin").status_code == 200
    assert [t["reference"] for t in admin.get("/admin/api/tickets").json()] == ["TK-AAAAAAAAAA"]
    assert admin.get("/admin/api/tickets/TK-AAAAAAAAAA").json()["contact"] == "jo@example.org"
    for method, path, body in [
        ("PATCH", "/admin/api/tickets/TK-AAAAAAAAAA", {"status": "clos"}),
        ("POST", "/admin/api/tickets/TK-AAAAAAAAAA/notes", {"text": "x"}),
        ("PATCH", "/admin/api/registrations/PP-AAAAAAAAAA", {"status": "contactee"}),
        ("GET", "/admin/api/registrations.csv", None),
        ("GET", "/admin/api/audit", None),
    ]:
        response = admin.request(method, path, json=body)
        assert response.status_code == 403 and response.json() == {"detail": message("admin_forbidden")}
    assert ("luc", "read", "ticket", "TK-AAAAAAAAAA") in audit_rows(settings)


def test_a_manager_handles_a_ticket_and_every_step_is_audited(admin: TestClient, settings: Settings) -> None:
    login(admin, "gina")
    assert admin.get("/admin/api/tickets", params={"service": "utep"}).json() == []
    assert len(admin.get("/admin/api/tickets", params={"status": "nouveau", "since": "2026-11-19"}).json()) == 1
    assert admin.get("/admin/api/tickets", params={"until": "2026-11-19"}).json() == []
    noted = admin.post("/admin/api/tickets/TK-AAAAAAAAAA/notes", json={"text": "Rappelé le 21/11."})
    assert noted.status_code == 201 and noted.json()["notes"][0]["text"] == "Rappelé le 21/11."
    closed = admin.patch("/admin/api/tickets/TK-AAAAAAAAAA", json={"status": "clos"}).json()
    assert closed["status"] == "clos" and closed["closed_at"] is not None
    assert admin.patch("/admin/api/tickets/TK-NOPE", json={"status": "clos"}).status_code == 404
    assert (
        admin.patch("/admin/api/registrations/PP-AAAAAAAAAA", json={"status": "entretien"}).json()["status"]
        == "entretien"
    )
    stats = admin.get("/admin/api/stats").json()
    assert stats["tickets_per_service"] == [{"key": "relations_usagers", "count": 1}]
    assert stats["mean_hours_to_close"] is not None
    audit = [(a, o, i) for _, a, o, i in audit_rows(settings) if a != "login"]
    assert audit == [
        ("note", "ticket", "TK-AAAAAAAAAA"),
        ("change", "ticket", "TK-AAAAAAAAAA"),
        ("change", "registration", "PP-AAAAAAAAAA"),
    ]
    shown = admin.get("/admin/api/audit").json()
    assert {entry["action"] for entry in shown} >= {"login", "note", "change"}


def test_registrations_export_as_csv(admin: TestClient, settings: Settings) -> None:
    login(admin, "gina")
    response = admin.get("/admin/api/registrations.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    row = rows[0]
    assert (row["reference"], row["prenom"], row["nom"], row["email"]) == (
        "PP-AAAAAAAAAA",
        "Zoé",
        "Le Gall",
        "zoe@example.org",
    )
    assert (row["domaines"], row["experience"], row["status"]) == ("recherche;formation_professionnels", "", "nouvelle")
    assert ("gina", "export", "registrations", None) in audit_rows(settings)


def test_fallbacks_and_not_useful_answers_are_listed_and_can_be_handled(
    admin: TestClient, fake_engine: FakeEngine, settings: Settings
) -> None:
    fake_engine.reply = lambda body: {
        "messages": [{"text": "Je n'ai pas compris votre question."}],
        "state": {
            "slots_set": {},
            "slots": {},
            "active_loop": None,
            "actions": ["action_clarify"],
            "intent": "nlu_fallback",
        },
    }
    chat = admin.post("/api/chat", json={"message": "xqzw plorf"}).json()
    rated = admin.post(
        "/api/feedback",
        json={
            "session_id": chat["session_id"],
            "topic": "role.patient_expert",
            "useful": False,
            "message": "Une réponse.",
        },
    )
    assert rated.status_code == 201
    login(admin, "gina")
    items = admin.get("/admin/api/unanswered").json()
    assert sorted((i["kind"], i["text"]) for i in items) == [("fallback", "xqzw plorf"), ("pas_utile", "Une réponse.")]
    handled = admin.patch(f"/admin/api/unanswered/{items[0]['id']}", json={"handled": True}).json()
    assert handled["handled_by"] == "gina"
    assert len(admin.get("/admin/api/unanswered", params={"handled": False}).json()) == 1
    assert admin.get("/admin/api/stats").json()["fallback_rate"] == 1.0


def test_logout_ends_the_session(admin: TestClient) -> None:
    login(admin, "gina")
    assert admin.post("/admin/api/logout").status_code == 200
    assert admin.get("/admin/api/me").status_code == 401
    assert admin.get("/admin").status_code == 401


def test_the_first_account_is_created_from_the_command_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}", ADMIN_PASSWORD=PASSWORD)
    command = [sys.executable, "-m", "server.admin_cli", "gina", "--role", "gestionnaire"]
    created = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert created.returncode == 0, created.stderr
    again = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert again.returncode != 0 and "already exists" in again.stderr
    short = subprocess.run(
        [sys.executable, "-m", "server.admin_cli", "luc"],
        env={**env, "ADMIN_PASSWORD": "short"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert short.returncode != 0
    with sqlite3.connect(tmp_path / "app.db") as db:
        [(hashed, role)] = db.execute("SELECT password_hash, role FROM staff_users").fetchall()
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed and role == "gestionnaire"


def test_an_answer_to_a_form_is_never_kept_as_an_unanswered_question(
    admin: TestClient, fake_engine: FakeEngine, settings: Settings
) -> None:
    fake_engine.reply = lambda body: {
        "messages": [{"text": "Merci."}],
        "state": {"slots": {}, "active_loop": None, "form_at_start": "retrait_inscription", "intent": "nlu_fallback"},
    }
    assert admin.post("/api/chat", json={"message": "zoe@example.org"}).status_code == 200
    with sqlite3.connect(db_path(settings)) as db:
        assert db.execute("SELECT COUNT(*) FROM unanswered").fetchone() == (0,)
        assert db.execute("SELECT fallback FROM turn_log").fetchall() == [(1,)]


def test_the_database_refuses_to_change_or_delete_audit_entries(admin: TestClient, settings: Settings) -> None:
    login(admin, "gina")
    with sqlite3.connect(db_path(settings)) as db:
        assert db.execute("SELECT COUNT(*) FROM audit_log").fetchone() == (1,)
        for statement in ("UPDATE audit_log SET username = 'someone'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)
        assert db.execute("SELECT username, action FROM audit_log").fetchall() == [("gina", "login")]
