"""Sending the outbox over SMTP, with retries that never drop a mail.

The front door runs :meth:`OutboxSender.run_forever` in the background: every
``outbox_poll_s`` seconds, or at once when a ticket was just stored
(:meth:`OutboxSender.wake`), it sends the mails that are due.  A failed send is
retried with exponential back-off (``smtp_retry_base_s`` doubled per attempt, at
most ``smtp_retry_max_s``); after ``smtp_attempts_before_failure`` attempts the
state shows ``echec`` but the mail is still retried.  Without ``SMTP_HOST`` (the
development default) nothing is sent: the mails wait in the outbox, shown to staff.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
from email.message import EmailMessage

import aiosmtplib
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.settings import Settings
from store.base import utcnow
from store.engine import transaction
from store.models import NotificationState, OutboxMail, Ticket
from store.outbox import claim_due, release

logger = logging.getLogger(__name__)

#: Mails claimed (and sent) per round.
CLAIM_BATCH = 50


def backoff(attempts: int, base_s: float, max_s: float) -> dt.timedelta:
    """Delay before the next try after ``attempts`` failed ones: base, 2×base, 4×base… capped."""
    return dt.timedelta(seconds=min(max_s, base_s * 2 ** max(0, attempts - 1)))


class OutboxSender:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings
        self._wake = asyncio.Event()
        #: This sender's name in the outbox's claims (one per process; several front doors may run).
        self._id = f"{socket.gethostname()[:24]}:{os.getpid()}:{id(self):x}"

    @property
    def enabled(self) -> bool:
        return self._settings.smtp_host is not None

    def wake(self) -> None:
        self._wake.set()

    async def _send(self, mail: OutboxMail) -> None:
        settings = self._settings
        message = EmailMessage()
        message["From"] = settings.smtp_sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user,
            password=password,
            use_tls=settings.smtp_tls,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_s,
        )

    async def run_once(self) -> int:
        """Send the mails that are due; return how many were sent.

        The database is not held while the SMTP server answers: the due mails are
        claimed in one short transaction (``store.outbox``: no other sender takes
        them), sent, and each result written, and the claim released, in another.
        """
        if not self.enabled:
            return 0
        # Claimed for as long as sending them all may take: another front door leaves them alone.
        lease = dt.timedelta(seconds=self._settings.smtp_timeout_s * (CLAIM_BATCH + 1))
        due = await claim_due(self._sessions, self._id, lease, CLAIM_BATCH)
        sent = 0
        for mail in due:
            error: str | None = None
            try:
                await self._send(mail)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                error = type(exc).__name__
                logger.warning("outbox: mail %s not sent (%s), retried later", mail.id, error)
            else:
                sent += 1
            await self._record(mail.id, error)
        return sent

    async def _record(self, mail_id: int, error: str | None) -> None:
        settings = self._settings
        async with transaction(self._sessions) as db:
            mail = await db.get(OutboxMail, mail_id)
            if mail is None:
                return
            release(mail)
            mail.attempts += 1
            if error is None:
                mail.state = NotificationState.ENVOYEE
                mail.sent_at = utcnow()
                mail.last_error = None
            else:
                mail.last_error = error
                mail.next_attempt_at = utcnow() + backoff(
                    mail.attempts, settings.smtp_retry_base_s, settings.smtp_retry_max_s
                )
                failed = mail.attempts >= settings.smtp_attempts_before_failure
                mail.state = NotificationState.ECHEC if failed else NotificationState.EN_ATTENTE
            if mail.ticket_id is not None:
                ticket = await db.get(Ticket, mail.ticket_id)
                if ticket is not None:
                    ticket.notification = mail.state

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except SQLAlchemyError as exc:
                logger.error("outbox: database unavailable (%s), retried later", type(exc).__name__)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._settings.outbox_poll_s)
            except TimeoutError:
                pass
            self._wake.clear()
