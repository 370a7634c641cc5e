"""The back office's view of the knowledge base: /admin/api/knowledge/stale lists the
entries whose last review is more than a year old, oldest first."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel

from knowledge.loader import get_knowledge
from server.api.routes.admin import ERRORS
from server.deps import StaffDep

router = APIRouter(prefix="/admin/api/knowledge", tags=["admin"], responses=ERRORS)
#: An entry not reviewed for longer than this is listed as stale.
STALE_AFTER_DAYS = 365


class StaleEntry(BaseModel):
    id: str
    title: str
    reviewed: dt.date
    reviewed_by: str | None
    age_days: int


def today() -> dt.date:
    return dt.date.today()


@router.get("/stale", response_model=list[StaleEntry])
async def stale(user: StaffDep) -> list[StaleEntry]:
    now = today()
    rows = [
        StaleEntry(
            id=entry.id,
            title=entry.title,
            reviewed=entry.reviewed,
            reviewed_by=entry.reviewed_by,
            age_days=entry.review_age_days(now),
        )
        for entry in get_knowledge()
        if entry.review_age_days(now) > STALE_AFTER_DAYS
    ]
    return sorted(rows, key=lambda row: (row.reviewed, row.id))
