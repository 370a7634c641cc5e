"""What every messaging channel (WhatsApp; later Telegram, Teams…) is, as the inbound worker sees it.

A channel is one module (``server/channels/whatsapp.py`` is the model): a
:class:`Channel` subclass (how to render a turn's answer and deliver one message
to the platform) and its webhook ``router``, which checks the platform's
signature, reads the messages as :class:`Inbound` and hands them to
``InboundWorker.receive`` (``server.channels.inbound``).  The website widget is
not one of them: it answers on its socket at once, with nothing queued
(``server/widget.py``).
"""

from __future__ import annotations

import abc
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, ClassVar

from server.api.schemas import ChatResponse

#: Kinds of inbound messages.
TEXT = "text"
PAYLOAD = "payload"
UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Inbound:
    """One message read from a platform's webhook."""

    message_id: str
    #: The platform's address of the sender (a phone number…): needed to answer, never logged.
    sender: str
    kind: str  # TEXT, PAYLOAD (a chosen button's id) or UNSUPPORTED (image, voice…)
    text: str | None = None


@dataclass(frozen=True)
class Retry:
    base_s: float
    max_s: float
    attempts_before_failure: int
    poll_s: float


class DeliveryError(Exception):
    """A message could not be delivered to the platform; ``kind`` is the error's class, safe to log."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class Channel(abc.ABC):
    """A messaging platform, as the worker sees it.  A subclass also gives its webhook ``router``."""

    #: The channel's name: the turns' ``channel`` (statistics, registrations) and the stored rows'.
    name: ClassVar[str]
    #: Prefix of the session ids derived from the senders ("wa_" for WhatsApp).
    session_prefix: ClassVar[str]

    @property
    @abc.abstractmethod
    def enabled(self) -> bool:
        """Configured: when False, the webhook answers 404 and the worker stays idle."""

    @property
    @abc.abstractmethod
    def key(self) -> bytes:
        """The secret for the senders' hashes and the sealed values."""

    @property
    @abc.abstractmethod
    def retry(self) -> Retry: ...

    @abc.abstractmethod
    def render(self, response: ChatResponse) -> list[dict[str, Any]]:
        """A turn's answer as the platform's messages (JSON objects), in order."""

    @abc.abstractmethod
    async def deliver(self, recipient: str, message: dict[str, Any]) -> None:
        """Send one rendered message; raise :class:`DeliveryError` when it was not accepted."""

    async def send(self, recipient: str, response: ChatResponse) -> None:
        for out in self.render(response):
            await self.deliver(recipient, out)

    async def aclose(self) -> None:  # noqa: B027 - nothing to close by default
        pass

    def digest(self, value: str) -> str:
        return hmac.new(self.key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def session_id(self, sender: str) -> str:
        """The sender's conversation: a keyed hash of their address (matches ``SESSION_ID_PATTERN``)."""
        return self.session_prefix + self.digest(sender)[: min(60, 64 - len(self.session_prefix))]
