from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.tracker_store import create_tracker_store

# Tests never read a developer's .env or start with a missing token.
os.environ.setdefault("ENGINE_TOKEN", "test-token-0123456789abcdef")


@pytest.fixture
def tracker_db(tmp_path: Path) -> Path:
    """An empty tracker store (Rasa's ``events`` table) in the test's temporary directory."""
    return create_tracker_store(tmp_path / "tracker.db")
