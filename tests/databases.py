"""Throw-away application databases for tests: a SQLite file, or a fresh PostgreSQL database.

PostgreSQL is optional: ``PS_TEST_POSTGRES_URL`` (default: the local server, user
postgres, trust).  When it cannot be reached the PostgreSQL variant is skipped,
with the reason; the default path never needs it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

POSTGRES_URL = os.environ.get("PS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def postgres_error() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed in the application environment"
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL unreachable at {POSTGRES_URL} ({type(exc).__name__})"
    return None


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]  # our own DDL, no user input


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped afterwards); skips the test when there is no server."""
    problem = postgres_error()
    if problem:
        pytest.skip(problem)
    name = f"ps_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    base = urlsplit(POSTGRES_URL)
    try:
        yield f"postgresql+psycopg://{base.netloc}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """An empty application database of ``kind`` ("sqlite" or "postgresql")."""
    if kind == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'app.db'}"
