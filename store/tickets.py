"""Storing a transmitted request and queueing its e-mail, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import OutboxMail, Ticket


@dataclass(frozen=True)
class TicketData:
    """What the person confirmed, and where it goes."""

    request_type: str
    service: str
    description: str
    contact: str
    consent_at: dt.datetime
    ru: str | None = None
    transcript: str | None = None


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


async def save_ticket(
    db: AsyncSession,
    data: TicketData,
    *,
    idempotency_key: str,
    session_id: str,
    channel: str,
    new_reference: Callable[[], str],
    mail_for: Callable[[str, Ticket], Mail],
) -> tuple[str, bool]:
    """Store the ticket and its e-mail; return (reference, created).

    A repeated call with the same ``idempotency_key`` stores nothing more and
    returns the first ticket's reference.
    """
    existing = (await db.execute(select(Ticket).where(Ticket.idempotency_key == idempotency_key))).scalar_one_or_none()
    if existing is not None:
        return existing.reference, False
    reference = new_reference()
    while (await db.execute(select(Ticket.id).where(Ticket.reference == reference))).first():
        reference = new_reference()
    ticket = Ticket(
        reference=reference,
        idempotency_key=idempotency_key,
        request_type=data.request_type,
        service=data.service,
        ru=data.ru,
        description=data.description,
        contact=data.contact,
        transcript=data.transcript,
        consent_at=data.consent_at,
        channel=channel,
        session_id=session_id,
    )
    db.add(ticket)
    await db.flush()
    mail = mail_for(reference, ticket)
    db.add(OutboxMail(ticket_id=ticket.id, to=mail.to, subject=mail.subject, body=mail.body))
    await db.flush()
    return reference, True
