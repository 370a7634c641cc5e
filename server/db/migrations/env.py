"""Alembic environment: the URL comes from the caller (server.db.migrate) or settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from server.db import models  # noqa: F401  (registers the tables)
from server.db.base import Base
from server.db.engine import sync_url

config = context.config


def _url() -> str:
    given: str | None = config.attributes.get("database_url")
    if given is not None:
        return given
    from server.settings import get_settings

    return sync_url(get_settings().database_url)


url = _url()

target_metadata = Base.metadata


def run_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
