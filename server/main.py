"""The FastAPI application: ``uvicorn --factory server.main:create_app``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from knowledge.loader import get_knowledge
from knowledge.messages import message
from server.api.openapi import complete_schema
from server.api.routes import (
    access,
    admin,
    admin_knowledge,
    admin_pages,
    admin_registrations,
    admin_reports,
    admin_tickets,
    chat,
    feedback,
    glossaire,
    health,
    pages,
)
from server.api.routes.pages import STATIC
from server.channels import whatsapp
from server.chat import ChatService
from server.engine_client import EngineClient
from server.erasure import TrackerEraser
from server.feedback import FeedbackService
from server.notify import OutboxSender
from server.purge import RetentionJob
from server.ratelimit import RateLimits
from server.security import SecuredApp, require_utf8_body
from server.settings import Settings, get_settings
from server.widget import SOCKET_PATH, WebchatChannel
from store.engine import create_engine, session_factory, warn_if_pools_exceed_server
from store.migrate import upgrade


def _validation_detail(exc: RequestValidationError) -> str:
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        if loc[-1:] == ["mode"]:
            return message("invalid_mode")
        if loc[-1:] == ["message"] and error.get("type") == "missing":
            return message("empty_message")
    return message("invalid_request")


def create_app(settings: Settings | None = None, engine_client: EngineClient | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        get_knowledge()  # a broken content file fails here, naming file and field
        await anyio.to_thread.run_sync(upgrade, settings.database_url)
        db_engine = create_engine(settings.database_url, settings.db_pool_size, settings.db_max_overflow)
        await warn_if_pools_exceed_server(
            db_engine, settings.db_pool_size, settings.db_max_overflow, len(settings.engine_instance_urls())
        )
        client = engine_client or EngineClient(
            settings.engine_instance_urls(),
            settings.require_engine_token(),
            settings.action_server_url,
            timeout_s=settings.engine_timeout_s,
        )
        app.state.settings = settings
        app.state.db_engine = db_engine
        app.state.engine = client
        sessions = session_factory(db_engine)
        app.state.sessions = sessions
        eraser = TrackerEraser(sessions, settings.tracker_url, settings.db_pool_size, settings.db_max_overflow)
        await eraser.run_pending()  # erasures queued before a crash
        sender = OutboxSender(sessions, settings)
        app.state.outbox = sender
        limits = RateLimits.from_settings(settings) if settings.rate_limits_enabled else None
        app.state.eraser = eraser
        app.state.chat = ChatService(sessions, client, eraser, sender, limits=limits)
        app.state.feedback = FeedbackService(sessions)
        sending = asyncio.create_task(sender.run_forever(), name="outbox")
        receiving = whatsapp.start(app, sessions)
        retention = asyncio.create_task(
            RetentionJob(settings, sessions, events=eraser.events).run_forever(), name="retention"
        )
        try:
            yield
        finally:
            sending.cancel()
            receiving.cancel()
            retention.cancel()
            with suppress(asyncio.CancelledError):
                await retention
            with suppress(asyncio.CancelledError):
                await sending
            with suppress(asyncio.CancelledError):
                await receiving
            await client.aclose()
            await eraser.aclose()
            if limits is not None:
                await limits.aclose()
            await db_engine.dispose()

    app = SecuredApp(
        title="Partenaires Santé",
        version="0.1.0",
        lifespan=lifespan,
        frame_ancestors=settings.frame_ancestors,
        hsts=settings.environment == "production",
        dependencies=[Depends(require_utf8_body)],
    )
    complete_schema(app, settings.max_message_chars)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": _validation_detail(exc)})

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        keys = {404: "not_found", 401: "admin_login_required", 403: "admin_forbidden"}
        key = keys.get(exc.status_code, "invalid_request")
        # 400: a body FastAPI could not read (not UTF-8…); a malformed body is a 422 like any other.
        status = 422 if exc.status_code == 400 else exc.status_code
        return JSONResponse(status_code=status, content={"detail": message(key)}, headers=exc.headers)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=500, content={"detail": message("internal_error")})

    app.include_router(chat.router)
    app.include_router(admin.router)
    app.include_router(admin_tickets.router)
    app.include_router(admin_registrations.router)
    app.include_router(admin_reports.router)
    app.include_router(admin_knowledge.router)
    app.include_router(access.router)
    app.include_router(admin_pages.router)
    app.include_router(feedback.router)
    app.include_router(glossaire.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(whatsapp.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(f"/{SOCKET_PATH}", WebchatChannel(app, settings).asgi_app(), name="webchat")
    return app
