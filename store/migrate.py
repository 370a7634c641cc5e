"""Apply Alembic migrations: at the start of the front door and of the action server, and by ``make setup``.

Both processes may start at once: the upgrade holds a lock for its whole run, so
one migrates while the other waits, then finds the schema at head and does
nothing.  PostgreSQL: a session-level advisory lock on the migration's own
connection.  SQLite: an exclusive ``flock`` on a file next to the database.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine, pool, text
from sqlalchemy.engine import make_url

from store.engine import sync_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Key of PostgreSQL's advisory lock held while migrating (any constant shared by the processes).
ADVISORY_LOCK_KEY = 0x50415254  # "PART"


def alembic_config(database_url: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = sync_url(database_url)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(database_url: str) -> None:
    """Bring the schema to head, holding the migration lock."""
    url = make_url(sync_url(database_url))
    if url.drivername.startswith("sqlite"):
        if url.database in (None, "", ":memory:"):
            command.upgrade(alembic_config(database_url), "head")
            return
        database = Path(url.database)
        with _file_lock(database.with_name(database.name + ".migrate.lock")):
            command.upgrade(alembic_config(database_url), "head")
        return
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            connection.commit()
            try:
                command.upgrade(alembic_config(database_url, connection), "head")
                connection.commit()
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                connection.commit()
    finally:
        engine.dispose()


if __name__ == "__main__":
    from store.settings import get_store_settings

    upgrade(get_store_settings().database_url)
