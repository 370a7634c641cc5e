"""Back office: tickets (list, read, status, notes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from server import backoffice
from server.api.admin_schemas import IsoDate, NoteRequest, TicketChange, TicketDetail, TicketRow
from server.api.routes.admin import ERRORS, not_found
from server.deps import AdminDbDep, ManagerDep, StaffDep
from server.staff import audit
from store.base import utcnow
from store.models import TicketNote, TicketStatus

router = APIRouter(prefix="/admin/api", tags=["admin"], responses=ERRORS)


@router.get("/tickets", response_model=list[TicketRow])
async def tickets(
    db: AdminDbDep,
    user: StaffDep,
    service: Annotated[str | None, Query(max_length=32)] = None,
    status: TicketStatus | None = None,
    since: IsoDate | None = None,
    until: IsoDate | None = None,
) -> list[TicketRow]:
    return await backoffice.list_tickets(db, service, status, since, until)


@router.get("/tickets/{reference}", response_model=TicketDetail)
async def ticket(reference: str, db: AdminDbDep, user: StaffDep) -> TicketDetail | JSONResponse:
    found = await backoffice.find_ticket(db, reference)
    if found is None:
        return not_found()
    audit(db, user, "read", "ticket", reference)
    return await backoffice.ticket_detail(db, found)


@router.patch("/tickets/{reference}", response_model=TicketDetail)
async def change_ticket(
    reference: str, body: TicketChange, db: AdminDbDep, user: ManagerDep
) -> TicketDetail | JSONResponse:
    found = await backoffice.find_ticket(db, reference)
    if found is None:
        return not_found()
    before = found.status
    found.status = body.status
    found.closed_at = utcnow() if body.status == TicketStatus.CLOS else None
    audit(db, user, "change", "ticket", reference, f"status {before.value} -> {body.status.value}")
    return await backoffice.ticket_detail(db, found)


@router.post("/tickets/{reference}/notes", response_model=TicketDetail, status_code=201)
async def add_note(reference: str, body: NoteRequest, db: AdminDbDep, user: ManagerDep) -> TicketDetail | JSONResponse:
    found = await backoffice.find_ticket(db, reference)
    if found is None:
        return not_found()
    db.add(TicketNote(ticket_id=found.id, username=user.username, text=body.text))
    await db.flush()
    audit(db, user, "note", "ticket", reference)
    return await backoffice.ticket_detail(db, found)
