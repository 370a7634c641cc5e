"""Request dependencies (``Annotated`` aliases), resolved from the app's state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.chat import ChatService
from server.engine_client import EngineClient
from server.feedback import FeedbackService
from server.settings import Settings
from server.staff import COOKIE, user_for_token
from store.engine import transaction
from store.models import StaffRole, StaffUser


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_chat_service(request: Request) -> ChatService:
    service: ChatService = request.app.state.chat
    return service


def get_feedback_service(request: Request) -> FeedbackService:
    service: FeedbackService = request.app.state.feedback
    return service


def get_engine_client(request: Request) -> EngineClient:
    client: EngineClient = request.app.state.engine
    return client


def get_db_engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.db_engine
    return engine


async def get_admin_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per back-office request, committed before the response is sent."""
    async with transaction(request.app.state.sessions) as db:
        yield db


AdminDbDep = Annotated[AsyncSession, Depends(get_admin_db, scope="function")]


async def get_staff(request: Request, db: AdminDbDep) -> StaffUser:
    """The signed-in staff member, or 401 (the handler answers in French, with no data)."""
    user = await user_for_token(db, request.cookies.get(COOKIE))
    if user is None:
        raise HTTPException(status_code=401)
    return user


StaffDep = Annotated[StaffUser, Depends(get_staff)]


async def get_manager(user: StaffDep) -> StaffUser:
    if user.role != StaffRole.GESTIONNAIRE:
        raise HTTPException(status_code=403)
    return user


ManagerDep = Annotated[StaffUser, Depends(get_manager)]

SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ChatDep = Annotated[ChatService, Depends(get_chat_service)]
FeedbackDep = Annotated[FeedbackService, Depends(get_feedback_service)]
EngineDep = Annotated[EngineClient, Depends(get_engine_client)]
DbEngineDep = Annotated[AsyncEngine, Depends(get_db_engine)]
