"""Tables of the application database."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Date, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow


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


class TicketStatus(enum.StrEnum):
    NOUVEAU = "nouveau"
    EN_COURS = "en_cours"
    CLOS = "clos"


class NotificationState(enum.StrEnum):
    """Where the e-mail to the service stands; a failed send is retried, never dropped."""

    EN_ATTENTE = "en_attente"
    ENVOYEE = "envoyee"
    ECHEC = "echec"


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Ticket(Base):
    """A request transmitted to a service, with the person's consent."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    #: ``TK-`` plus 10 random characters, given to the person.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    #: One per run of the transmission form: a repeated confirmation stores one ticket.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    request_type: Mapped[str] = mapped_column(String(32), index=True)
    service: Mapped[str] = mapped_column(String(32), index=True)
    #: The représentant des usagers chosen, for a request to talk to one.
    ru: Mapped[str | None] = mapped_column(String(64), default=None)
    description: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(254))
    #: The conversation, only when the person agreed to send it.
    transcript: Mapped[str | None] = mapped_column(Text, default=None)
    consent_at: Mapped[dt.datetime]
    channel: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus), default=TicketStatus.NOUVEAU)
    notification: Mapped[NotificationState] = mapped_column(
        _enum(NotificationState), default=NotificationState.EN_ATTENTE
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class OutboxMail(Base):
    """An e-mail to send (a ticket to its service), kept until it is sent."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[NotificationState] = mapped_column(_enum(NotificationState), default=NotificationState.EN_ATTENTE)
    attempts: Mapped[int] = mapped_column(default=0)
    #: The class of the last error (never its text, which may quote the mail).
    last_error: Mapped[str | None] = mapped_column(String(64), default=None)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The sender (one per front-door process) that is sending it, until when: no other takes it meanwhile.
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(default=None)


class StaffRole(enum.StrEnum):
    """``lecteur`` reads; ``gestionnaire`` also changes, exports and sees the audit log."""

    LECTEUR = "lecteur"
    GESTIONNAIRE = "gestionnaire"


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    #: argon2id hash; the password itself is never stored.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StaffSession(Base):
    """A signed-in staff member; the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


class AuditEntry(Base):
    """Who read personal data, exported or changed what, and when.  Rows are only ever added."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64))
    #: read, export, change, note, login
    action: Mapped[str] = mapped_column(String(16))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64), default=None)
    detail: Mapped[str | None] = mapped_column(String(255), default=None)


class TicketNote(Base):
    """An internal note on a ticket, by a staff member."""

    __tablename__ = "ticket_notes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Unanswered(Base):
    """A message the assistant could not answer, or an answer rated not useful: to improve the data."""

    __tablename__ = "unanswered"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    #: fallback (not understood) or pas_utile (rated not useful)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    handled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    handled_by: Mapped[str | None] = mapped_column(String(64), default=None)


class TurnLog(Base):
    """One row per answered turn, without its text: the statistics' source."""

    __tablename__ = "turn_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str | None] = mapped_column(String(64), default=None)
    fallback: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class InboundState(enum.StrEnum):
    """Where a message received on a messaging channel (WhatsApp…) stands."""

    #: Stored, the turn still to run (again later when the engine was unavailable).
    PENDING = "pending"
    #: Answered: the replies are being sent.
    REPLYING = "replying"
    DONE = "done"
    #: The replies could not be sent after every attempt.
    FAILED = "failed"


class InboundMessage(Base):
    """A message received on a messaging channel, stored before the webhook answers 200.

    Nothing here is in clear: the sender is a keyed hash (the session id), the
    message id a keyed hash too (it is the de-duplication of the platform's
    retries), and the number to answer, the text and the replies are sealed
    (``server.channels.sealing.seal``) and cleared as soon as they are no longer needed.
    """

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    message_key: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    #: text, payload (a button's) or unsupported (an image, a voice message…)
    kind: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(Text, default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    replies: Mapped[str | None] = mapped_column(Text, default=None)
    #: How many of the replies were delivered (a retry resumes after them).
    sent: Mapped[int] = mapped_column(default=0)
    state: Mapped[InboundState] = mapped_column(_enum(InboundState), default=InboundState.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    #: The class of the last error (never its text).
    last_error: Mapped[str | None] = mapped_column(String(64), default=None)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class UndeliveredMessage(Base):
    """A message that reached the front door while a component it needs was down (``503``).

    Kept so that nothing the user typed is lost: the 503 gives the session id
    back to resend it in the same conversation, and staff can read what waits.
    Deleted once a later turn of the session succeeds (resent or superseded)
    or when the conversation is erased.  Messaging channels (WhatsApp) keep
    their own queue (``inbound_messages``) and replay it themselves.
    """

    __tablename__ = "undelivered_messages"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    #: engine, actions, tracker_store or database
    component: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
