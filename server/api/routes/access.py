"""Right of access and erasure for one e-mail address (back office, ``gestionnaire`` role; audited).

``POST /admin/api/acces`` with ``{"email": ...}`` exports everything held about the address as
JSON (a POST, so that the address never appears in a URL or a proxy's access log);
``POST /admin/api/effacement`` erases it (see ``server.access``).  The audit entry
names the registration's reference, never the address: the audit log cannot be erased.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from knowledge.messages import message
from server import access
from server.api.access_schemas import AccessExport, ErasureDone, PersonRequest
from server.api.routes.admin import ERRORS
from server.api.schemas import ErrorResponse
from server.deps import AdminDbDep, ManagerDep
from server.erasure import TrackerEraser
from server.staff import audit
from store.base import utcnow

router = APIRouter(prefix="/admin/api", tags=["admin"], responses=ERRORS)


def _counts(held: access.Held) -> str:
    registrations = int(held.registration is not None)
    return f"{registrations} registration, {len(held.tickets)} tickets, {len(held.session_ids)} conversations"


@router.post("/acces", response_model=AccessExport, responses={503: {"model": ErrorResponse}})
async def access_export(
    body: PersonRequest, db: AdminDbDep, user: ManagerDep, request: Request
) -> AccessExport | JSONResponse:
    email = body.email
    held = await access.find(db, email)
    eraser: TrackerEraser = request.app.state.eraser
    try:
        exported = await access.export(db, eraser.events, email.strip(), held)
    except SQLAlchemyError:
        return JSONResponse(status_code=503, content={"detail": message("admin_access_unavailable")})
    reference = held.registration.reference if held.registration else None
    audit(db, user, "export", "access", reference, _counts(held))
    return exported


@router.post("/effacement", response_model=ErasureDone)
async def erasure(
    body: PersonRequest, db: AdminDbDep, user: ManagerDep, request: Request, background: BackgroundTasks
) -> ErasureDone:
    held = await access.find(db, body.email)
    await access.erase(db, held, utcnow().date())
    reference = held.registration.reference if held.registration else None
    audit(db, user, "erase", "person", reference, _counts(held))
    eraser: TrackerEraser | None = getattr(request.app.state, "eraser", None)
    if eraser is not None and held.session_ids:
        background.add_task(eraser.run_pending)  # after the commit: the transcripts go from the tracker store
    return ErasureDone(
        detail=message("admin_erased"),
        registrations=int(held.registration is not None),
        tickets=len(held.tickets),
        conversations=len(held.session_ids),
    )
