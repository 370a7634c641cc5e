"""Back office: unanswered questions, the outbox, the audit log and the statistics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from server import backoffice
from server.api.admin_schemas import AuditRow, OutboxRow, RowId, Stats, UnansweredChange, UnansweredRow
from server.api.routes.admin import ERRORS, not_found
from server.deps import AdminDbDep, ManagerDep, StaffDep
from server.staff import audit
from store.base import utcnow
from store.models import Unanswered

router = APIRouter(prefix="/admin/api", tags=["admin"], responses=ERRORS)


@router.get("/unanswered", response_model=list[UnansweredRow])
async def unanswered(db: AdminDbDep, user: StaffDep, handled: bool | None = None) -> list[UnansweredRow]:
    return await backoffice.list_unanswered(db, handled)


@router.patch("/unanswered/{item_id}", response_model=UnansweredRow)
async def mark_unanswered(
    item_id: RowId, body: UnansweredChange, db: AdminDbDep, user: ManagerDep
) -> UnansweredRow | JSONResponse:
    row = await db.get(Unanswered, item_id)
    if row is None:
        return not_found()
    row.handled_at = utcnow() if body.handled else None
    row.handled_by = user.username if body.handled else None
    audit(db, user, "change", "unanswered", str(item_id), "handled" if body.handled else "reopened")
    return backoffice.unanswered_row(row)


@router.get("/outbox", response_model=list[OutboxRow])
async def outbox(db: AdminDbDep, user: StaffDep) -> list[OutboxRow]:
    return await backoffice.list_outbox(db)


@router.get("/audit", response_model=list[AuditRow])
async def audit_log(db: AdminDbDep, user: ManagerDep) -> list[AuditRow]:
    return await backoffice.list_audit(db)


@router.get("/stats", response_model=Stats)
async def stats(db: AdminDbDep, user: StaffDep) -> Stats:
    return await backoffice.stats(db)
