from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import database_url
from tests.helpers import TOKEN
from tests.tracker_store import create_tracker_store

# Tests never read a developer's .env (store.settings.env_file) or start with a missing token.
os.environ["PARTENAIRES_ENV_FILE"] = ""
os.environ.setdefault("ENGINE_TOKEN", TOKEN)


@pytest.fixture
def tracker_db(tmp_path: Path) -> Path:
    """An empty tracker store (Rasa's ``events`` table) in the test's temporary directory."""
    return create_tracker_store(tmp_path / "tracker.db")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty application database: a SQLite file, then a fresh PostgreSQL database (skipped without a server)."""
    with database_url(request.param, tmp_path) as url:
        yield url


#: Each test's kind, from where it lives: ``-m unit``, ``-m api``, ``-m e2e``, ``-m browser`` select them.
_KINDS = {"unit": "unit", "actions": "unit", "api": "api", "e2e": "e2e", "engine": "unit"}


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test by its folder, and the ones that drive Chromium as ``browser`` too."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        folder = parts[parts.index("tests") + 1] if "tests" in parts else ""
        kind = _KINDS.get(folder)
        if kind is not None and item.get_closest_marker(kind) is None:
            item.add_marker(kind)
        if "browser" in item.name or Path(str(item.fspath)).stem.endswith("_browser"):
            item.add_marker("browser")
