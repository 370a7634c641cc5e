"""The back office lists the knowledge entries whose review is more than a year old."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from knowledge.loader import load_knowledge
from knowledge.messages import message
from server.api.routes import admin_knowledge
from server.settings import Settings
from store.models import StaffRole
from tests.api.test_admin import PASSWORD, add_user

TODAY = dt.date(2026, 12, 1)
CONTENT = """
entries:
  - id: droit.ancien
    title: Ancien
    short: Courte.
    long: Longue.
    sources: [{label: Code de la santé publique, reference: art. L1111-7}]
    reviewed: 2025-11-30
    reviewed_by: équipe projet (relecture documentaire)
  - id: droit.limite
    title: Juste un an
    short: Courte.
    long: Longue.
    sources: [{label: Code de la santé publique, reference: art. L1111-7}]
    reviewed: 2025-12-01
  - id: droit.recent
    title: Récent
    short: Courte.
    long: Longue.
    sources: [{label: Code de la santé publique, reference: art. L1111-7}]
    reviewed: 2026-11-30
  - id: droit.tres_ancien
    title: Très ancien
    short: Courte.
    long: Longue.
    sources: [{label: Code de la santé publique, reference: art. L1111-7}]
    reviewed: 2023-01-15
"""


@pytest.fixture
def staff(
    client: TestClient, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    content = tmp_path / "content"
    content.mkdir()
    (content / "topics.yml").write_text(CONTENT, encoding="utf-8")
    kb = load_knowledge(content)
    monkeypatch.setattr(admin_knowledge, "get_knowledge", lambda: kb)
    monkeypatch.setattr(admin_knowledge, "today", lambda: TODAY)
    add_user(settings, "luc", StaffRole.LECTEUR)
    yield client


def test_stale_entries_need_a_session(staff: TestClient) -> None:
    response = staff.get("/admin/api/knowledge/stale")
    assert response.status_code == 401
    assert response.json() == {"detail": message("admin_login_required")}


def test_entries_reviewed_more_than_a_year_ago_are_listed_oldest_first(staff: TestClient) -> None:
    assert staff.post("/admin/api/login", json={"username": "luc", "password": PASSWORD}).status_code == 200
    rows = staff.get("/admin/api/knowledge/stale").json()
    assert [row["id"] for row in rows] == ["droit.tres_ancien", "droit.ancien"]
    assert rows[1] == {
        "id": "droit.ancien",
        "title": "Ancien",
        "reviewed": "2025-11-30",
        "reviewed_by": "équipe projet (relecture documentaire)",
        "age_days": 366,
    }
    assert rows[0]["reviewed_by"] is None


def test_the_shipped_content_is_not_stale_today() -> None:
    kb = load_knowledge()
    assert all(entry.review_age_days(TODAY) <= admin_knowledge.STALE_AFTER_DAYS for entry in kb)
