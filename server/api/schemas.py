"""The chat API contract (stable: outside evaluations depend on it)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer


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
    #: The représentant des usagers chosen, for a request to talk to one (absent otherwise).
    ru: str | None = None

    @model_serializer(mode="wrap")
    def _ru_only_when_chosen(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("ru") is None:
            data.pop("ru", None)
        return data


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


class ForgetRequest(BaseModel):
    session_id: str = Field(max_length=64)


class DetailResponse(BaseModel):
    detail: str
