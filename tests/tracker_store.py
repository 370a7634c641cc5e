"""The engine's tracker store in tests: a SQLite file with the ``events`` table of Rasa's SQL tracker store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

#: ``rasa.core.tracker_store.SQLTrackerStore.SQLEvent``, as SQLAlchemy creates it in SQLite.
EVENTS_TABLE = (
    "CREATE TABLE events ("
    "id INTEGER NOT NULL PRIMARY KEY, "
    "sender_id VARCHAR(255) NOT NULL, "
    "type_name VARCHAR(255) NOT NULL, "
    "timestamp FLOAT, "
    "intent_name VARCHAR(255), "
    "action_name VARCHAR(255), "
    "data TEXT)"
)
EVENTS_INDEX = "CREATE INDEX ix_events_sender_id ON events (sender_id)"


def create_tracker_store(path: Path) -> Path:
    """Create the SQLite file at ``path`` with an empty ``events`` table; return ``path``."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(EVENTS_TABLE)
        db.execute(EVENTS_INDEX)
    return path


def add_events(path: Path, events: Iterable[tuple[str, str]], type_name: str = "user") -> None:
    """Add ``(sender_id, data)`` events of type ``type_name``."""
    with closing(sqlite3.connect(path)) as db, db:
        db.executemany(
            "INSERT INTO events (sender_id, type_name, data) VALUES (?, ?, ?)",
            [(sender_id, type_name, data) for sender_id, data in events],
        )
