"""Staff accounts of the back office: argon2id passwords, server-side sessions, roles, audit log."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.models import AuditEntry, StaffRole, StaffSession, StaffUser

#: The cookie that carries a signed-in staff member's session token.
COOKIE = "ps_staff"
SESSION_HOURS = 8
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Compared against when the user does not exist, so that both cases take as long (made on first use)."""
    return _hasher.hash("not-a-password-0000")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def _verify(stored: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(db: AsyncSession, username: str, password: str, role: StaffRole) -> StaffUser:
    # argon2 takes tens of milliseconds of CPU: in a thread, so the event loop keeps serving.
    password_hash = await anyio.to_thread.run_sync(hash_password, password)
    user = StaffUser(username=username, password_hash=password_hash, role=role)
    db.add(user)
    await db.flush()
    return user


async def authenticate(db: AsyncSession, username: str, password: str) -> StaffUser | None:
    user = (await db.execute(select(StaffUser).where(StaffUser.username == username))).scalar_one_or_none()
    stored = user.password_hash if user is not None else _dummy_hash()
    if not await anyio.to_thread.run_sync(_verify, stored, password):
        return None
    if user is None or not user.active:
        return None
    return user


async def open_session(db: AsyncSession, user: StaffUser) -> str:
    """A new session for ``user``; returns the token to put in the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(hours=SESSION_HOURS)
    db.add(StaffSession(token_hash=_token_hash(token), user_id=user.id, expires_at=expires))
    await db.execute(delete(StaffSession).where(StaffSession.expires_at < utcnow()))
    return token


async def user_for_token(db: AsyncSession, token: str | None) -> StaffUser | None:
    if not token or len(token) > 128:
        return None
    session = await db.get(StaffSession, _token_hash(token))
    if session is None:
        return None
    expires = session.expires_at if session.expires_at.tzinfo else session.expires_at.replace(tzinfo=dt.UTC)
    if expires < utcnow():
        return None
    user = await db.get(StaffUser, session.user_id)
    return user if user is not None and user.active else None


async def close_session(db: AsyncSession, token: str | None) -> None:
    if token:
        await db.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def audit(
    db: AsyncSession,
    user: StaffUser,
    action: str,
    object_type: str,
    object_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Record who did what to which personal data (append-only: nothing updates or deletes these rows)."""
    db.add(
        AuditEntry(username=user.username, action=action, object_type=object_type, object_id=object_id, detail=detail)
    )
