"""Bodies of the right of access and erasure routes (/admin/api/acces, /admin/api/effacement)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from server.api.admin_schemas import RegistrationRow, TicketDetail, UtcDateTime

#: An e-mail address as people type it: something@something, without spaces or control characters.
#: (Explicit ranges: ``\s`` differs between Python, Rust and JSON Schema's regular expressions.)
EMAIL_PATTERN = r"^[^@\x00-\x20\x7f]+@[^@\x00-\x20\x7f]+$"


class PersonRequest(BaseModel):
    email: str = Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN)


class TranscriptLine(BaseModel):
    at: UtcDateTime | None
    speaker: Literal["user", "bot"]
    text: str


class ConversationExport(BaseModel):
    session_id: str
    messages: list[TranscriptLine]


class FeedbackExport(BaseModel):
    session_id: str
    topic: str
    useful: bool
    message: str
    comment: str | None
    created_at: UtcDateTime


class UnansweredExport(BaseModel):
    session_id: str
    #: fallback, pas_utile, or non_transmis (a message kept while the assistant was unavailable)
    kind: str
    text: str
    created_at: UtcDateTime


class AccessExport(BaseModel):
    """Everything the assistant holds about one e-mail address."""

    email: str
    registration: RegistrationRow | None
    tickets: list[TicketDetail]
    conversations: list[ConversationExport]
    feedback: list[FeedbackExport]
    unanswered: list[UnansweredExport]


class ErasureDone(BaseModel):
    detail: str
    registrations: int
    tickets: int
    conversations: int
