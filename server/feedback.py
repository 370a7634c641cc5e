"""Ratings of answers ("utile" / "pas utile"), kept with their topic, text and session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge.loader import get_knowledge
from server.chat import SESSION_ID_PATTERN
from store.engine import transaction
from store.models import ChatSession, Feedback, Unanswered


class UnknownSession(LookupError):
    """The session does not exist (never issued, or erased)."""


class UnknownTopic(LookupError):
    """The topic is not a knowledge entry."""


class FeedbackService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(self, session_id: str, topic: str, useful: bool, answer: str, comment: str | None) -> int:
        if topic not in get_knowledge():
            raise UnknownTopic(topic)
        if not SESSION_ID_PATTERN.match(session_id):
            raise UnknownSession(session_id)
        async with transaction(self._sessions) as db:
            if await db.get(ChatSession, session_id) is None:
                raise UnknownSession(session_id)
            row = Feedback(session_id=session_id, topic=topic, useful=useful, message=answer, comment=comment)
            db.add(row)
            if not useful:  # reviewed by staff with the questions not understood
                db.add(Unanswered(session_id=session_id, kind="pas_utile", text=answer, topic=topic))
            await db.flush()
            return row.id
