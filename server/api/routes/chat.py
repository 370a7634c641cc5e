from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from knowledge.messages import message
from server.api.schemas import ChatRequest, ChatResponse, DetailResponse, ErrorResponse, ForgetRequest
from server.chat import clean_text
from server.deps import ChatDep, SettingsDep
from server.engine_client import EngineUnavailable
from server.ratelimit import RateLimited

router = APIRouter(tags=["chat"])


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    responses={422: {"model": ErrorResponse}, 429: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
)
async def chat(
    body: ChatRequest, chat: ChatDep, settings: SettingsDep, request: Request
) -> ChatResponse | JSONResponse:
    if len(body.message) > settings.max_message_chars:
        return JSONResponse(
            status_code=422, content={"detail": message("message_too_long", limit=settings.max_message_chars)}
        )
    text = clean_text(body.message)
    if not text:
        return JSONResponse(status_code=422, content={"detail": message("empty_message")})
    client = request.client.host if request.client else None
    try:
        return await chat.turn(text, body.session_id, body.mode, client=client)
    except RateLimited as exc:
        return JSONResponse(
            status_code=429, content={"detail": exc.detail}, headers={"Retry-After": str(exc.retry_after)}
        )
    except EngineUnavailable as exc:
        # The text is kept (undelivered_messages); the session id lets the client resend it in the same conversation.
        return JSONResponse(
            status_code=503,
            content={
                "detail": message("unavailable_in_form" if exc.in_form else "unavailable"),
                "component": exc.component,
                "session_id": exc.session_id,
            },
            headers={"Retry-After": "10"},
        )


def _embedding_site(request: Request, allowed: list[str]) -> dict[str, str]:
    """CORS headers for a hospital page that embeds the widget (``WEBCHAT_ALLOWED_ORIGINS``)."""
    origin = request.headers.get("origin")
    if origin and origin in allowed:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {}


@router.options("/api/chat/forget", include_in_schema=False)
async def forget_preflight(request: Request, settings: SettingsDep) -> Response:
    headers = _embedding_site(request, settings.webchat_allowed_origins)
    if headers:
        headers |= {"Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": "Content-Type"}
    return Response(status_code=204, headers=headers)


@router.post("/api/chat/forget", response_model=DetailResponse, responses={404: {"model": ErrorResponse}})
async def forget(body: ForgetRequest, chat: ChatDep, request: Request, settings: SettingsDep) -> JSONResponse:
    """Erase a conversation (the widget's « Effacer la conversation »): its transcript on the server too."""
    headers = _embedding_site(request, settings.webchat_allowed_origins)
    if not await chat.forget(body.session_id):
        return JSONResponse(status_code=404, content={"detail": message("conversation_unknown")}, headers=headers)
    return JSONResponse(content=DetailResponse(detail=message("conversation_erased")).model_dump(), headers=headers)
