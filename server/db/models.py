"""Tables of the application database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, utcnow


class ChatSession(Base):
    """A conversation issued by the server.  Its id is the engine's sender id."""

    __tablename__ = "chat_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), default="api")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Payloads of the buttons last sent to this session: only these may be
    #: sent back as ``/intent{...}``; any other text starting with "/" is text.
    offered_payloads: Mapped[list[Any]] = mapped_column(JSON, default=list)
