from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parents[2] / "static"

router = APIRouter(tags=["pages"])


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


#: Front-end packages installed from the npm registry by `make setup` (scripts/setup-assets).
NODE_MODULES = Path(__file__).resolve().parents[3] / "node_modules"
VENDOR = {"chart.umd.min.js": NODE_MODULES / "chart.js" / "dist" / "chart.umd.min.js"}


@router.get("/vendor/{name}", include_in_schema=False)
async def vendor(name: str) -> FileResponse:
    """chart.js for the back office's statistics, served as npm installed it."""
    path = VENDOR.get(name)
    if path is None or not path.is_file():
        raise HTTPException(status_code=404)
    return FileResponse(path, media_type="text/javascript; charset=utf-8")
