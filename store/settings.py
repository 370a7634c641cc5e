"""The store's own settings: where the database is, and the size of each process's pool.

Read from the environment (and the project's ``.env``, unless ``PARTENAIRES_ENV_FILE``
is set to another file or to an empty value, as the tests do).  The variable names are
those of the front door's settings, which embed these fields: both processes read the
same ``DATABASE_URL``, ``DB_POOL_SIZE`` and ``DB_MAX_OVERFLOW``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


def env_file() -> Path | None:
    """The ``.env`` the settings read: ``PARTENAIRES_ENV_FILE`` when set (empty: none), else the project's."""
    given = os.environ.get("PARTENAIRES_ENV_FILE")
    if given is None:
        return ROOT / ".env"
    return Path(given) if given else None


def absolute_sqlite(url: str) -> str:
    """``sqlite:///var/app.db`` is relative to the project root, not to the cwd."""
    prefix, sep, path = url.partition(":///")
    if not sep or not prefix.startswith("sqlite") or path.startswith("/") or path == ":memory:":
        return url
    return f"{prefix}:///{(ROOT / path).as_posix()}"


class StoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True)

    #: The application database (SQLAlchemy URL); PostgreSQL with postgresql+psycopg://.
    database_url: str = "sqlite:///var/app.db"
    #: Connection pool of each of our SQLAlchemy engines (PostgreSQL; SQLite ignores them).  Every
    #: process holding a pool (front door: 2, action server: 1, each engine: 1, see docs/deployment.md)
    #: may open pool + overflow connections: keep the sum under PostgreSQL's max_connections.
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)

    @field_validator("database_url")
    @classmethod
    def _resolve_sqlite(cls, value: str) -> str:
        return absolute_sqlite(value)


@functools.cache
def get_store_settings() -> StoreSettings:
    return StoreSettings(_env_file=env_file())
