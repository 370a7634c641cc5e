"""The back office's page: /admin.  Without a session it answers 401 with the sign-in form only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from server.api.routes.pages import STATIC
from server.deps import AdminDbDep
from server.staff import COOKIE, user_for_token

router = APIRouter(tags=["admin"])


@router.get("/admin", include_in_schema=False)
async def admin_page(request: Request, db: AdminDbDep) -> FileResponse:
    """The back office for a signed-in staff member; the sign-in form (401) for anyone else.

    Neither page holds data: the back office reads /admin/api with the session cookie.
    """
    user = await user_for_token(db, request.cookies.get(COOKIE))
    if user is None:
        return FileResponse(STATIC / "admin-login.html", status_code=401, media_type="text/html; charset=utf-8")
    return FileResponse(STATIC / "admin.html", media_type="text/html; charset=utf-8")
