from __future__ import annotations

import functools
import html
from pathlib import Path
from string import Template

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from knowledge.loader import get_knowledge

STATIC = Path(__file__).resolve().parents[2] / "static"

router = APIRouter(tags=["pages"])


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


#: The knowledge entry the privacy page shows (the same text the assistant says).
PRIVACY_ENTRY = "bot.confidentialite"


@functools.cache
def _privacy_template() -> Template:
    """Read once, on first use (no file read per request in the event loop)."""
    return Template((STATIC / "confidentialite.html").read_text(encoding="utf-8"))


@router.get("/confidentialite", include_in_schema=False)
async def privacy() -> HTMLResponse:
    """The privacy notice linked from the demo page: the knowledge entry, escaped, in a page."""
    entry = get_knowledge().get(PRIVACY_ENTRY)
    if entry is None:
        raise HTTPException(status_code=404)
    body = _privacy_template().substitute(
        title=html.escape(entry.title), long=html.escape(entry.long), sources=html.escape(entry.source_line())
    )
    return HTMLResponse(body)


#: Front-end packages installed from the npm registry by `make setup` (scripts/setup-assets).
NODE_MODULES = Path(__file__).resolve().parents[3] / "node_modules"
VENDOR = {
    "chart.umd.min.js": NODE_MODULES / "chart.js" / "dist" / "chart.umd.min.js",
    "webchat.js": NODE_MODULES / "rasa-webchat" / "lib" / "index.js",
}


@router.get("/widget.js", include_in_schema=False)
async def widget() -> FileResponse:
    """The loader a site embeds: ``<script src=".../widget.js"></script>``."""
    return FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8")


@router.get("/vendor/{name}", include_in_schema=False)
async def vendor(name: str) -> FileResponse:
    """chart.js (back office) and rasa-webchat (website widget), served as npm installed them."""
    path = VENDOR.get(name)
    if path is None or not path.is_file():
        raise HTTPException(status_code=404)
    return FileResponse(path, media_type="text/javascript; charset=utf-8")
