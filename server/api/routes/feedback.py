from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from knowledge.messages import message
from server.api.schemas import ErrorResponse, FeedbackRequest, FeedbackResponse
from server.chat import clean_text
from server.deps import FeedbackDep
from server.feedback import UnknownSession, UnknownTopic

router = APIRouter(tags=["feedback"])


@router.post(
    "/api/feedback",
    status_code=201,
    response_model=FeedbackResponse,
    responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
async def feedback(body: FeedbackRequest, service: FeedbackDep) -> FeedbackResponse | JSONResponse:
    answer = clean_text(body.message)
    comment = clean_text(body.comment) if body.comment else None
    if not answer:
        return JSONResponse(status_code=422, content={"detail": message("feedback_invalid")})
    try:
        row_id = await service.record(body.session_id, body.topic, body.useful, answer, comment or None)
    except UnknownTopic:
        return JSONResponse(status_code=422, content={"detail": message("feedback_unknown_topic")})
    except UnknownSession:
        return JSONResponse(status_code=404, content={"detail": message("feedback_unknown_session")})
    return FeedbackResponse(id=row_id, detail=message("feedback_thanks"))
