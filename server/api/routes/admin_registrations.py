"""Back office: partner registrations (list, CSV export, status)."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from server import backoffice
from server.api.admin_schemas import RegistrationChange, RegistrationRow
from server.api.routes.admin import ERRORS, not_found
from server.deps import AdminDbDep, ManagerDep, StaffDep
from server.staff import audit
from store.base import utcnow
from store.models import RegistrationStatus

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


@router.get("/registrations", response_model=list[RegistrationRow])
async def registrations(
    db: AdminDbDep,
    user: StaffDep,
    status: RegistrationStatus | None = None,
    profil: Annotated[str | None, Query(max_length=16)] = None,
) -> list[RegistrationRow]:
    rows = await backoffice.list_registrations(db, status, profil)
    audit(db, user, "read", "registrations", None, f"{len(rows)} rows")
    return rows


@router.get("/registrations.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export_registrations(db: AdminDbDep, user: ManagerDep, status: RegistrationStatus | None = None) -> Response:
    rows = await backoffice.list_registrations(db, status, None)
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
    row = await backoffice.find_registration(db, reference)
    if row is None:
        return not_found()
    before = row.status
    row.status = body.status
    row.updated_at = utcnow()
    audit(db, user, "change", "registration", reference, f"status {before.value} -> {body.status.value}")
    return backoffice.registration_row(row)
