"""Request and response bodies of the back office's JSON API (/admin/api)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from server.db.models import RegistrationStatus, StaffRole, TicketStatus


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Me(BaseModel):
    username: str
    role: StaffRole


class TicketRow(BaseModel):
    reference: str
    request_type: str
    service: str
    ru: str | None
    status: TicketStatus
    notification: str
    created_at: dt.datetime
    closed_at: dt.datetime | None


class Note(BaseModel):
    username: str
    text: str
    created_at: dt.datetime


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


class RegistrationRow(BaseModel):
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
    consent_at: dt.datetime
    consent_notice_version: str
    created_at: dt.datetime


class RegistrationChange(BaseModel):
    status: RegistrationStatus


class UnansweredRow(BaseModel):
    id: int
    kind: str
    text: str
    topic: str | None
    created_at: dt.datetime
    handled_at: dt.datetime | None
    handled_by: str | None


class UnansweredChange(BaseModel):
    handled: bool


class OutboxRow(BaseModel):
    id: int
    to: str
    subject: str
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None


class AuditRow(BaseModel):
    at: dt.datetime
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
