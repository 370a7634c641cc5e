"""The back office's JSON API (/admin/api): sign-in and the routes' shared responses.

Every route of /admin/api needs a signed-in staff member; changes, exports and
the audit log need the ``gestionnaire`` role.  Each read of personal data, each
export and each change is written to the audit log.  The routes are split by
resource (``admin_tickets``, ``admin_registrations``, ``admin_reports``,
``admin_knowledge``, ``access``); their queries are in ``server.backoffice``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from knowledge.messages import message
from server.api.admin_schemas import LoginRequest, Me
from server.api.schemas import ErrorResponse
from server.deps import AdminDbDep, StaffDep
from server.staff import COOKIE, SESSION_HOURS, audit, authenticate, close_session, open_session

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse},
    404: {"model": ErrorResponse},
}
router = APIRouter(prefix="/admin/api", tags=["admin"], responses=ERRORS)


def not_found() -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": message("admin_not_found")})


@router.post("/login", response_model=Me)
async def login(body: LoginRequest, request: Request, response: Response, db: AdminDbDep) -> Me | JSONResponse:
    user = await authenticate(db, body.username, body.password)
    if user is None:
        return JSONResponse(status_code=401, content={"detail": message("admin_bad_credentials")})
    token = await open_session(db, user)
    audit(db, user, "login", "staff_session")
    secure = request.app.state.settings.environment == "production"
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        secure=secure,
        samesite="strict",
        path="/admin",
    )
    return Me(username=user.username, role=user.role)


@router.post("/logout")
async def logout(request: Request, response: Response, db: AdminDbDep, user: StaffDep) -> dict[str, str]:
    await close_session(db, request.cookies.get(COOKIE))
    response.delete_cookie(COOKIE, path="/admin")
    return {"detail": message("admin_logged_out")}


@router.get("/me", response_model=Me)
async def me(user: StaffDep) -> Me:
    return Me(username=user.username, role=user.role)
