"""Engines and sessions.  Nothing is created at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

logger = logging.getLogger(__name__)


def async_url(url: str) -> str:
    """The async driver for a database URL: aiosqlite for SQLite, psycopg for PostgreSQL."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgresql+psycopg2", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The sync driver for the same database (Alembic migrations)."""
    parsed = make_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        parsed = parsed.set(drivername="sqlite")
    elif parsed.drivername in ("postgresql", "postgresql+psycopg2", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str, pool_size: int = 5, max_overflow: int = 5) -> AsyncEngine:
    """An engine for ``url``; on PostgreSQL, a pool of ``pool_size`` (+ ``max_overflow``) connections.

    ``pool_pre_ping`` checks a pooled connection before use, so a restarted
    database server costs no failed request once it is back.
    """
    target = async_url(url)
    if target.startswith("sqlite"):
        engine = create_async_engine(target)  # a file: nothing to re-connect to
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(target, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow)


def connections_needed(pool_size: int, max_overflow: int, engines: int, front_doors: int = 1) -> int:
    """Connections the whole deployment may open at once on one PostgreSQL server.

    Each front door holds two pools (application database, tracker-store erasures),
    the action server one, each engine instance one (Rasa's ``SQL_POOL_SIZE`` /
    ``SQL_MAX_OVERFLOW``, set by the launcher to the same values).  Alembic's
    migration uses one more connection, briefly, at start.
    """
    return (2 * front_doors + 1 + engines) * (pool_size + max_overflow) + 1


async def max_connections(engine: AsyncEngine) -> int | None:
    """PostgreSQL's ``max_connections`` less the superuser reserve; None elsewhere."""
    if engine.dialect.name != "postgresql":
        return None
    async with engine.connect() as connection:
        total = int((await connection.execute(text("SHOW max_connections"))).scalar_one())
        reserved = int((await connection.execute(text("SHOW superuser_reserved_connections"))).scalar_one())
    return total - reserved


async def warn_if_pools_exceed_server(
    engine: AsyncEngine, pool_size: int, max_overflow: int, engines: int
) -> int | None:
    """Log a warning at start when the pools could exhaust PostgreSQL's connections; return the limit."""
    try:
        limit = await max_connections(engine)
    except SQLAlchemyError as exc:
        logger.warning("database: max_connections could not be read (%s)", type(exc).__name__)
        return None
    if limit is None:
        return None
    needed = connections_needed(pool_size, max_overflow, engines)
    if needed >= limit:
        logger.warning(
            "database: the pools may open %d connections but PostgreSQL allows %d (max_connections less the "
            "superuser reserve): lower DB_POOL_SIZE / DB_MAX_OVERFLOW or raise max_connections "
            "(docs/deployment.md, pool sizing)",
            needed,
            limit,
        )
    else:
        logger.info("database: pools may open %d of PostgreSQL's %d connections", needed, limit)
    return limit


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose work is committed on success and rolled back on error."""
    async with factory() as session, session.begin():
        yield session
