from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from server.deps import DbEngineDep, EngineDep

router = APIRouter(tags=["health"])


async def database_health(engine: Any) -> dict[str, Any]:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok"}


@router.get("/health")
async def health(engine: EngineDep, db_engine: DbEngineDep) -> JSONResponse:
    components = {
        "engine": await engine.engine_health(),
        "actions": await engine.action_server_health(),
        "database": await database_health(db_engine),
    }
    # "partial": some engine instances are down, the others serve every session (200, but reported).
    healthy = all(c["status"] in ("ok", "partial") for c in components.values())
    everything = all(c["status"] == "ok" for c in components.values())
    return JSONResponse(
        status_code=200 if healthy else 503,
        content={"status": "ok" if everything else "degraded", "components": components},
    )
