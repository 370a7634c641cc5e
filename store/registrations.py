"""Saving, updating and withdrawing partner registrations (one transaction each).

The functions take an open session: the caller owns the transaction.  Nothing
here logs personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.erasure import erase
from store.models import Registration, RegistrationStatus, WithdrawalNote


@dataclass(frozen=True)
class RegistrationData:
    """What the person confirmed in the summary."""

    prenom: str
    nom: str
    email: str
    profil: str
    domaines: list[str]
    consent_at: dt.datetime
    consent_notice_version: str
    telephone: str | None = None
    experience: str | None = None
    disponibilites: str | None = None


@dataclass(frozen=True)
class SaveResult:
    outcome: Literal["created", "updated", "repeated", "duplicate_email", "unknown_reference"]
    reference: str | None = None


def email_key(email: str) -> str:
    return email.strip().lower()


async def find_by_email(db: AsyncSession, email: str) -> Registration | None:
    result = await db.execute(select(Registration).where(Registration.email_key == email_key(email)))
    return result.scalar_one_or_none()


async def reference_matches_email(db: AsyncSession, reference: str, email: str) -> bool:
    result = await db.execute(
        select(Registration.id).where(Registration.reference == reference, Registration.email_key == email_key(email))
    )
    return result.first() is not None


def _apply(row: Registration, data: RegistrationData) -> None:
    row.prenom = data.prenom
    row.nom = data.nom
    row.email = data.email
    row.email_key = email_key(data.email)
    row.telephone = data.telephone
    row.profil = data.profil
    row.domaines = list(data.domaines)
    row.experience = data.experience
    row.disponibilites = data.disponibilites
    row.consent_at = data.consent_at
    row.consent_notice_version = data.consent_notice_version


async def save_registration(
    db: AsyncSession,
    data: RegistrationData,
    *,
    idempotency_key: str,
    sender_id: str,
    channel: str,
    new_reference: Callable[[], str],
    update_reference: str | None = None,
) -> SaveResult:
    """Create the registration, or update the one the person proved is theirs.

    A second call with the same ``idempotency_key`` changes nothing and returns
    the same reference.  An e-mail already registered is never registered twice.
    """
    repeated = (
        await db.execute(select(Registration).where(Registration.idempotency_key == idempotency_key))
    ).scalar_one_or_none()
    if repeated is not None:
        return SaveResult("repeated", repeated.reference)

    if update_reference:
        row = (
            await db.execute(select(Registration).where(Registration.reference == update_reference))
        ).scalar_one_or_none()
        if row is None:
            return SaveResult("unknown_reference")
        # The e-mail may only change to one that no other registration uses.
        other = await find_by_email(db, data.email)
        if other is not None and other.id != row.id:
            return SaveResult("duplicate_email")
        _apply(row, data)
        row.idempotency_key = idempotency_key
        row.updated_at = utcnow()
        if sender_id not in row.session_ids:
            row.session_ids = [*row.session_ids, sender_id]
        await db.flush()
        return SaveResult("updated", row.reference)

    if await find_by_email(db, data.email) is not None:
        return SaveResult("duplicate_email")
    reference = new_reference()
    while (await db.execute(select(Registration.id).where(Registration.reference == reference))).first():
        reference = new_reference()
    row = Registration(
        reference=reference,
        idempotency_key=idempotency_key,
        status=RegistrationStatus.NOUVELLE,
        channel=channel,
        session_ids=[sender_id],
        email_key=email_key(data.email),
    )
    _apply(row, data)
    db.add(row)
    await db.flush()
    return SaveResult("created", reference)


async def withdraw(db: AsyncSession, reference: str, email: str, sender_id: str, today: dt.date) -> bool:
    """Erase the registration matching both ``reference`` and ``email``.

    Erases (``store.erasure.erase``) the row and its conversations' rows, and queues the
    deletion of those conversations (and of this one) from the tracker store; a dated
    note without personal data remains.  This conversation's session stays open (the
    person is still talking).  Returns False, changing nothing, when nothing matches both.
    """
    row = (
        await db.execute(
            select(Registration).where(Registration.reference == reference, Registration.email_key == email_key(email))
        )
    ).scalar_one_or_none()
    if row is None:
        return False
    senders = sorted({*row.session_ids, sender_id})
    await erase(db, senders, registration=row, today=today, keep_session=sender_id)
    return True


async def withdrawal_count(db: AsyncSession) -> int:
    return int((await db.execute(select(func.count(WithdrawalNote.id)))).scalar_one())
