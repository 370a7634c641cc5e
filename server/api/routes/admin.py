"""The back office's JSON API: /admin/api/*.  Every route needs a signed-in staff member;
changes, exports and the audit log need the ``gestionnaire`` role.  Each read of personal
data, each export and each change is written to the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.messages import message
from server.api.admin_schemas import (
    AuditRow,
    Count,
    IsoDate,
    LoginRequest,
    Me,
    Note,
    NoteRequest,
    OutboxRow,
    RegistrationChange,
    RegistrationRow,
    RowId,
    Stats,
    TicketChange,
    TicketDetail,
    TicketRow,
    UnansweredChange,
    UnansweredRow,
)
from server.api.schemas import ErrorResponse
from server.deps import AdminDbDep, ManagerDep, StaffDep
from server.staff import COOKIE, SESSION_HOURS, audit, authenticate, close_session, open_session
from store.base import utcnow
from store.models import (
    AuditEntry,
    OutboxMail,
    Registration,
    RegistrationStatus,
    Ticket,
    TicketNote,
    TicketStatus,
    TurnLog,
    Unanswered,
)

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse},
    404: {"model": ErrorResponse},
}
router = APIRouter(prefix="/admin/api", tags=["admin"], responses=ERRORS)
#: Columns of the registrations' CSV export, in order.
CSV_COLUMNS = (
    "reference",
    "status",
    "prenom",
    "nom",
    "email",
    "telephone",
    "profil",
    "domaines",
    "experience",
    "disponibilites",
    "channel",
    "consent_at",
    "consent_notice_version",
    "created_at",
)


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


def ticket_row(ticket: Ticket) -> TicketRow:
    return TicketRow(
        reference=ticket.reference,
        request_type=ticket.request_type,
        service=ticket.service,
        ru=ticket.ru,
        status=ticket.status,
        notification=ticket.notification.value,
        created_at=ticket.created_at,
        closed_at=ticket.closed_at,
    )


@router.get("/tickets", response_model=list[TicketRow])
async def tickets(
    db: AdminDbDep,
    user: StaffDep,
    service: Annotated[str | None, Query(max_length=32)] = None,
    status: TicketStatus | None = None,
    since: IsoDate | None = None,
    until: IsoDate | None = None,
) -> list[TicketRow]:
    query = select(Ticket).order_by(Ticket.created_at.desc())
    if service:
        query = query.where(Ticket.service == service)
    if status:
        query = query.where(Ticket.status == status)
    if since:
        query = query.where(Ticket.created_at >= dt.datetime.combine(since, dt.time(), dt.UTC))
    if until:
        query = query.where(Ticket.created_at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC))
    return [ticket_row(t) for t in (await db.execute(query.limit(500))).scalars()]


async def _ticket(db: AsyncSession, reference: str) -> Ticket | None:
    return (await db.execute(select(Ticket).where(Ticket.reference == reference))).scalar_one_or_none()


async def ticket_detail(db: AsyncSession, ticket: Ticket) -> TicketDetail:
    notes = (
        await db.execute(select(TicketNote).where(TicketNote.ticket_id == ticket.id).order_by(TicketNote.id))
    ).scalars()
    return TicketDetail(
        **ticket_row(ticket).model_dump(),
        description=ticket.description,
        contact=ticket.contact,
        transcript=ticket.transcript,
        notes=[Note(username=n.username, text=n.text, created_at=n.created_at) for n in notes],
    )


@router.get("/tickets/{reference}", response_model=TicketDetail)
async def ticket(reference: str, db: AdminDbDep, user: StaffDep) -> TicketDetail | JSONResponse:
    found = await _ticket(db, reference)
    if found is None:
        return not_found()
    audit(db, user, "read", "ticket", reference)
    return await ticket_detail(db, found)


@router.patch("/tickets/{reference}", response_model=TicketDetail)
async def change_ticket(
    reference: str, body: TicketChange, db: AdminDbDep, user: ManagerDep
) -> TicketDetail | JSONResponse:
    found = await _ticket(db, reference)
    if found is None:
        return not_found()
    before = found.status
    found.status = body.status
    found.closed_at = utcnow() if body.status == TicketStatus.CLOS else None
    audit(db, user, "change", "ticket", reference, f"status {before.value} -> {body.status.value}")
    return await ticket_detail(db, found)


@router.post("/tickets/{reference}/notes", response_model=TicketDetail, status_code=201)
async def add_note(reference: str, body: NoteRequest, db: AdminDbDep, user: ManagerDep) -> TicketDetail | JSONResponse:
    found = await _ticket(db, reference)
    if found is None:
        return not_found()
    db.add(TicketNote(ticket_id=found.id, username=user.username, text=body.text))
    await db.flush()
    audit(db, user, "note", "ticket", reference)
    return await ticket_detail(db, found)


def registration_row(row: Registration) -> RegistrationRow:
    return RegistrationRow(
        reference=row.reference,
        status=row.status,
        prenom=row.prenom,
        nom=row.nom,
        email=row.email,
        telephone=row.telephone,
        profil=row.profil,
        domaines=list(row.domaines),
        experience=row.experience,
        disponibilites=row.disponibilites,
        channel=row.channel,
        consent_at=row.consent_at,
        consent_notice_version=row.consent_notice_version,
        created_at=row.created_at,
    )


async def _registrations(
    db: AsyncSession, status: RegistrationStatus | None, profil: str | None
) -> list[RegistrationRow]:
    query = select(Registration).order_by(Registration.created_at.desc())
    if status:
        query = query.where(Registration.status == status)
    if profil:
        query = query.where(Registration.profil == profil)
    return [registration_row(r) for r in (await db.execute(query)).scalars()]


@router.get("/registrations", response_model=list[RegistrationRow])
async def registrations(
    db: AdminDbDep,
    user: StaffDep,
    status: RegistrationStatus | None = None,
    profil: Annotated[str | None, Query(max_length=16)] = None,
) -> list[RegistrationRow]:
    rows = await _registrations(db, status, profil)
    audit(db, user, "read", "registrations", None, f"{len(rows)} rows")
    return rows


@router.get("/registrations.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export_registrations(db: AdminDbDep, user: ManagerDep, status: RegistrationStatus | None = None) -> Response:
    rows = await _registrations(db, status, None)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        data = row.model_dump(mode="json")
        data["domaines"] = ";".join(row.domaines)
        writer.writerow(["" if data[c] is None else data[c] for c in CSV_COLUMNS])
    audit(db, user, "export", "registrations", None, f"{len(rows)} rows")
    headers = {"content-disposition": 'attachment; filename="inscriptions.csv"'}
    return Response(content=out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.patch("/registrations/{reference}", response_model=RegistrationRow)
async def change_registration(
    reference: str, body: RegistrationChange, db: AdminDbDep, user: ManagerDep
) -> RegistrationRow | JSONResponse:
    row = (await db.execute(select(Registration).where(Registration.reference == reference))).scalar_one_or_none()
    if row is None:
        return not_found()
    before = row.status
    row.status = body.status
    row.updated_at = utcnow()
    audit(db, user, "change", "registration", reference, f"status {before.value} -> {body.status.value}")
    return registration_row(row)


def unanswered_row(row: Unanswered) -> UnansweredRow:
    return UnansweredRow(
        id=row.id,
        kind=row.kind,
        text=row.text,
        topic=row.topic,
        created_at=row.created_at,
        handled_at=row.handled_at,
        handled_by=row.handled_by,
    )


@router.get("/unanswered", response_model=list[UnansweredRow])
async def unanswered(db: AdminDbDep, user: StaffDep, handled: bool | None = None) -> list[UnansweredRow]:
    query = select(Unanswered).order_by(Unanswered.created_at.desc())
    if handled is not None:
        query = query.where(Unanswered.handled_at.is_not(None) if handled else Unanswered.handled_at.is_(None))
    return [unanswered_row(r) for r in (await db.execute(query.limit(500))).scalars()]


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
    return unanswered_row(row)


@router.get("/outbox", response_model=list[OutboxRow])
async def outbox(db: AdminDbDep, user: StaffDep) -> list[OutboxRow]:
    rows = (await db.execute(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(200))).scalars()
    return [
        OutboxRow(
            id=r.id,
            to=r.to,
            subject=r.subject,
            state=r.state.value,
            attempts=r.attempts,
            last_error=r.last_error,
            next_attempt_at=r.next_attempt_at,
            sent_at=r.sent_at,
        )
        for r in rows
    ]


@router.get("/audit", response_model=list[AuditRow])
async def audit_log(db: AdminDbDep, user: ManagerDep) -> list[AuditRow]:
    rows = (await db.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1000))).scalars()
    return [
        AuditRow(
            at=r.at,
            username=r.username,
            action=r.action,
            object_type=r.object_type,
            object_id=r.object_id,
            detail=r.detail,
        )
        for r in rows
    ]


def counts(values: list[str]) -> list[Count]:
    return [Count(key=key, count=n) for key, n in sorted(Counter(values).items())]


@router.get("/stats", response_model=Stats)
async def stats(db: AdminDbDep, user: StaffDep) -> Stats:
    turns = (await db.execute(select(TurnLog.topic, TurnLog.channel, TurnLog.fallback, TurnLog.created_at))).all()
    registered = (await db.execute(select(Registration.created_at))).scalars().all()
    tickets_rows = (await db.execute(select(Ticket.service, Ticket.created_at, Ticket.closed_at))).all()
    closed = [(c - o).total_seconds() / 3600 for _, o, c in tickets_rows if c is not None]
    return Stats(
        questions_per_topic=counts([t.topic for t in turns if t.topic]),
        questions_per_day=counts([t.created_at.date().isoformat() for t in turns]),
        questions_per_channel=counts([t.channel for t in turns]),
        fallback_rate=(sum(1 for t in turns if t.fallback) / len(turns)) if turns else 0.0,
        registrations_per_week=counts([f"{d.isocalendar().year}-S{d.isocalendar().week:02d}" for d in registered]),
        tickets_per_service=counts([s for s, _, _ in tickets_rows]),
        mean_hours_to_close=(sum(closed) / len(closed)) if closed else None,
    )

