"""The chat API contract (stable: outside evaluations depend on it)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ChatRequest(BaseModel):
    message: str
    session_id: str | None = None
    mode: Literal["patient", "staff"] = "patient"


class Button(BaseModel):
    title: str
    payload: str


class ChatMessage(BaseModel):
    text: str
    buttons: list[Button] = Field(default_factory=list)


class Route(BaseModel):
    service: str
    ticket: str | None = None


class FormState(BaseModel):
    name: str
    requested_slot: str | None = None


class ChatResponse(BaseModel):
    session_id: str
    messages: list[ChatMessage]
    topic: str | None = None
    route: Route | None = None
    form: FormState | None = None


class ErrorResponse(BaseModel):
    detail: str


class FeedbackRequest(BaseModel):
    session_id: str = Field(max_length=64)
    #: The ``topic`` of the rated answer, as the chat API returned it.
    topic: str = Field(max_length=64)
    useful: bool
    #: The rated answer's text, as shown to the user.
    message: str = Field(min_length=1, max_length=4000)
    comment: str | None = Field(default=None, max_length=1000)


class FeedbackResponse(BaseModel):
    id: int
    detail: str
