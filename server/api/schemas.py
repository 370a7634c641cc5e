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
