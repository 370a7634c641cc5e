"""The application database, as the action server reaches it.

The engine is created on first use (never at import) from the store's settings
(``DATABASE_URL``, ``DB_POOL_SIZE``, ``DB_MAX_OVERFLOW``): the action server needs
none of the front door's secrets.  Tests replace :func:`get_sessions` with their own factory.
"""

from __future__ import annotations

import functools

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.engine import create_engine, session_factory
from store.settings import get_store_settings


@functools.cache
def get_sessions() -> async_sessionmaker[AsyncSession]:
    settings = get_store_settings()
    return session_factory(create_engine(settings.database_url, settings.db_pool_size, settings.db_max_overflow))
