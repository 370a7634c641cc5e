"""Request dependencies (``Annotated`` aliases), resolved from the app's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from server.chat import ChatService
from server.engine_client import EngineClient
from server.feedback import FeedbackService
from server.settings import Settings


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


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ChatDep = Annotated[ChatService, Depends(get_chat_service)]
FeedbackDep = Annotated[FeedbackService, Depends(get_feedback_service)]
EngineDep = Annotated[EngineClient, Depends(get_engine_client)]
DbEngineDep = Annotated[AsyncEngine, Depends(get_db_engine)]
