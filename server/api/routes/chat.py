from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from knowledge.messages import message
from server.api.schemas import ChatRequest, ChatResponse, ErrorResponse
from server.chat import clean_text
from server.deps import ChatDep, SettingsDep
from server.engine_client import EngineUnavailable

router = APIRouter(tags=["chat"])


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
)
async def chat(body: ChatRequest, chat: ChatDep, settings: SettingsDep) -> ChatResponse | JSONResponse:
    if len(body.message) > settings.max_message_chars:
        return JSONResponse(
            status_code=422, content={"detail": message("message_too_long", limit=settings.max_message_chars)}
        )
    text = clean_text(body.message)
    if not text:
        return JSONResponse(status_code=422, content={"detail": message("empty_message")})
    try:
        return await chat.turn(text, body.session_id, body.mode)
    except EngineUnavailable as exc:
        return JSONResponse(
            status_code=503,
            content={"detail": message("unavailable"), "component": exc.component},
            headers={"Retry-After": "10"},
        )
