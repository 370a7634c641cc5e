"""Tables of the application database."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Date, Enum, ForeignKey, String, Text
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


class RegistrationStatus(enum.StrEnum):
    """Where a partner's registration stands; the partnership team moves it along."""

    NOUVELLE = "nouvelle"
    CONTACTEE = "contactee"
    ENTRETIEN = "entretien"
    ACTIVE = "active"
    RETIREE = "retiree"


class Registration(Base):
    """A would-be partner's registration, exactly as they confirmed it in the conversation."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    #: ``PP-`` plus 10 random characters, given to the person.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    #: The form run that saved (or last updated) it: a repeated confirmation saves once.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[RegistrationStatus] = mapped_column(
        Enum(RegistrationStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=RegistrationStatus.NOUVELLE,
    )
    prenom: Mapped[str] = mapped_column(String(50))
    nom: Mapped[str] = mapped_column(String(50))
    email: Mapped[str] = mapped_column(String(254))
    #: The e-mail in lower case: one registration per address.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    telephone: Mapped[str | None] = mapped_column(String(20), default=None)
    profil: Mapped[str] = mapped_column(String(16))
    domaines: Mapped[list[str]] = mapped_column(JSON)
    experience: Mapped[str | None] = mapped_column(Text, default=None)
    disponibilites: Mapped[str | None] = mapped_column(String(200), default=None)
    consent_at: Mapped[dt.datetime]
    consent_notice_version: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    #: Conversations that hold this person's data: erased with the registration.
    session_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WithdrawalNote(Base):
    """That a registration was withdrawn and erased, and when: nothing about whom."""

    __tablename__ = "withdrawal_notes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    withdrawn_on: Mapped[dt.date] = mapped_column(Date)


class ErasureRequest(Base):
    """Conversations whose events must be deleted from the engine's tracker store.

    Written with the withdrawal, in the same transaction; the front door deletes
    the events once the engine has saved the turn, then deletes the request.
    """

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sender_ids: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
