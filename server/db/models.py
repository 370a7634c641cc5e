"""Tables of the application database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
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


class Feedback(Base):
    """A user's rating of one answer: useful or not, with the answer's topic and text."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    useful: Mapped[bool]
    #: The answer that was rated, as the user saw it (stored as text, never rendered as HTML).
    message: Mapped[str] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
