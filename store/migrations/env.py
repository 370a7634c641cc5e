"""Alembic environment: the URL (or an open connection) comes from the caller (store.migrate) or settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from store import models  # noqa: F401  (registers the tables)
from store.base import Base
from store.engine import sync_url

config = context.config


def _url() -> str:
    given: str | None = config.attributes.get("database_url")
    if given is not None:
        return given
    from store.settings import get_store_settings

    return sync_url(get_store_settings().database_url)


url = _url()

target_metadata = Base.metadata


def run_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given: Connection | None = config.attributes.get("connection")
    if given is not None:  # the caller holds the migration lock on this connection
        _migrate(given)
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _migrate(connection)
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
