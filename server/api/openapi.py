"""What the routes check by hand, stated in the OpenAPI schema too (found by fuzzing it with schemathesis).

The chat and feedback routes check some input themselves, to answer with the
right French message; their models therefore accept more than the routes do.
``complete_schema`` makes ``/openapi.json`` say what is really accepted:

* a chat message has at least one visible character and at most
  ``MAX_MESSAGE_CHARS`` characters (a setting, so not in the model);
* a rated answer has a visible character, and its ``topic`` is one of the
  knowledge entries' ids;
* every 422 is ``{"detail": "<French message>"}`` (the app's handler), not
  FastAPI's list of validation errors.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from knowledge.loader import get_knowledge

#: At least one character that is neither white space nor a control character (removed before use).
VISIBLE = r"[^\s\x00-\x1f\x7f]"
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def _complete(schema: dict[str, Any], max_message_chars: int) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    chat = components.get("ChatRequest", {}).get("properties", {}).get("message")
    if chat is not None:
        chat.update(minLength=1, maxLength=max_message_chars, pattern=VISIBLE)
    feedback = components.get("FeedbackRequest", {}).get("properties", {})
    if "message" in feedback:
        feedback["message"]["pattern"] = VISIBLE
    if "topic" in feedback:
        feedback["topic"]["enum"] = sorted(entry.id for entry in get_knowledge())
    if "ErrorResponse" not in components:
        components["ErrorResponse"] = {
            "type": "object",
            "title": "ErrorResponse",
            "required": ["detail"],
            "properties": {"detail": {"type": "string", "title": "Detail"}},
        }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"] = {
                    "description": "Invalid request (the detail says why, in French)",
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)


def complete_schema(app: FastAPI, max_message_chars: int) -> None:
    """Wrap ``app.openapi`` (the schema is built at its first request, then cached)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _complete(build(), max_message_chars)
        return build()

    app.openapi = openapi  # type: ignore[method-assign]
