"""Request and response bodies of the back office's JSON API (/admin/api)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from store.models import RegistrationStatus, StaffRole, TicketStatus


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite returns the stored UTC times without their zone: say it (RFC 3339 times carry an offset)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


#: A time in the API: always with its offset (``…Z``).
UtcDateTime = Annotated[dt.datetime, AfterValidator(_utc)]


def _iso_date_only(value: object) -> object:
    """A date given as text must be ``YYYY-MM-DD`` (pydantic would read "0.0" as a timestamp)."""
    if isinstance(value, str) and not (len(value) == 10 and value[4] == value[7] == "-"):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


#: A date filter of the API (``?since=2026-11-19``).
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]
#: A row id in a path: what the database's integers hold.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Me(BaseModel):
    username: str
    role: StaffRole


class OrmRow(BaseModel):
    """A row of the API read from a database row (``model_validate(orm_object)``)."""

    model_config = ConfigDict(from_attributes=True)


class TicketRow(OrmRow):
    reference: str
    request_type: str
    service: str
    ru: str | None
    status: TicketStatus
    notification: str
    created_at: UtcDateTime
    closed_at: UtcDateTime | None


class Note(OrmRow):
    username: str
    text: str
    created_at: UtcDateTime


class TicketDetail(TicketRow):
    description: str
    contact: str
    #: Present only when the person agreed to send the conversation.
    transcript: str | None
    notes: list[Note]


class TicketChange(BaseModel):
    status: TicketStatus


class NoteRequest(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class RegistrationRow(OrmRow):
    reference: str
    status: RegistrationStatus
    prenom: str
    nom: str
    email: str
    telephone: str | None
    profil: str
    domaines: list[str]
    experience: str | None
    disponibilites: str | None
    channel: str
    consent_at: UtcDateTime
    consent_notice_version: str
    created_at: UtcDateTime


class RegistrationChange(BaseModel):
    status: RegistrationStatus


class UnansweredRow(OrmRow):
    id: int
    kind: str
    text: str
    topic: str | None
    created_at: UtcDateTime
    handled_at: UtcDateTime | None
    handled_by: str | None


class UnansweredChange(BaseModel):
    handled: bool


class OutboxRow(OrmRow):
    id: int
    to: str
    subject: str
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: UtcDateTime
    sent_at: UtcDateTime | None


class AuditRow(OrmRow):
    at: UtcDateTime
    username: str
    action: str
    object_type: str
    object_id: str | None
    detail: str | None


class Count(BaseModel):
    key: str
    count: int


class Stats(BaseModel):
    questions_per_topic: list[Count]
    questions_per_day: list[Count]
    questions_per_channel: list[Count]
    fallback_rate: float
    registrations_per_week: list[Count]
    tickets_per_service: list[Count]
    #: Mean time from creation to closing of closed tickets, in hours (None: none closed).
    mean_hours_to_close: float | None
