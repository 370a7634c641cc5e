"""WhatsApp Business Cloud API: the webhook ``/webhooks/whatsapp`` and the replies through the Graph API.

* ``GET``: Meta's verification handshake (``hub.verify_token`` = ``WHATSAPP_VERIFY_TOKEN``).
* ``POST``: the body must be signed (``X-Hub-Signature-256``: HMAC-SHA256 of the raw
  body with ``WHATSAPP_APP_SECRET``), or 401 and nothing is read.  Text messages and
  chosen buttons (``button_reply`` / ``list_reply``: the id is the button's payload)
  are stored, then 200; the answers are sent in the background
  (:class:`server.channels.inbound.InboundWorker`).  Status callbacks are ignored.

Off (404) until the access token, phone number id, app secret, verify token and
hash key are all set.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.api.schemas import ChatResponse
from server.channels.base import PAYLOAD, TEXT, UNSUPPORTED, Channel, DeliveryError, Inbound, Retry
from server.channels.inbound import InboundWorker
from server.channels.whatsapp_format import render
from server.settings import Settings

#: Messages that need no answer: a reaction to a message, a change of number…
_IGNORED_TYPES = {"reaction", "system", "ephemeral", "request_welcome"}


def _secret(value: Any) -> str:
    return "" if value is None else str(value.get_secret_value())


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


class WhatsAppChannel(Channel):
    name = "whatsapp"
    session_prefix = "wa_"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._settings = settings
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.whatsapp_timeout_s, connect=5.0), transport=transport
        )
        self._retry = Retry(
            base_s=settings.whatsapp_retry_base_s,
            max_s=settings.whatsapp_retry_max_s,
            attempts_before_failure=settings.whatsapp_attempts_before_failure,
            poll_s=settings.whatsapp_poll_s,
        )

    @property
    def enabled(self) -> bool:
        s = self._settings
        return all(
            (
                s.whatsapp_access_token,
                s.whatsapp_phone_number_id,
                s.whatsapp_app_secret,
                s.whatsapp_verify_token,
                s.whatsapp_hash_key,
            )
        )

    @property
    def key(self) -> bytes:
        return _secret(self._settings.whatsapp_hash_key).encode("utf-8")

    @property
    def retry(self) -> Retry:
        return self._retry

    def verify_token_ok(self, token: str | None) -> bool:
        expected = _secret(self._settings.whatsapp_verify_token).encode("utf-8")
        return bool(token) and hmac.compare_digest((token or "").encode("utf-8"), expected)

    def signature_ok(self, body: bytes, header: str | None) -> bool:
        """``X-Hub-Signature-256`` is ``sha256=`` and the hex HMAC-SHA256 of the raw body with the app secret."""
        secret = _secret(self._settings.whatsapp_app_secret).encode("utf-8")
        if not header or not secret:
            return False
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(header.strip().lower().encode("utf-8"), expected.encode("ascii"))

    def parse(self, payload: Any) -> list[Inbound]:
        """The messages of a webhook notification for our number (status callbacks give none)."""
        found: list[Inbound] = []
        if not isinstance(payload, dict):
            return found
        for entry in _dicts(payload.get("entry")):
            for change in _dicts(entry.get("changes")):
                value = change.get("value")
                if not isinstance(value, dict):
                    continue
                metadata = value.get("metadata")
                number_id = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
                if str(number_id) != self._settings.whatsapp_phone_number_id:
                    continue  # another number of the same app
                for raw in _dicts(value.get("messages")):
                    inbound = _read_message(raw)
                    if inbound is not None:
                        found.append(inbound)
        return found

    def render(self, response: ChatResponse) -> list[dict[str, Any]]:
        return render(response)

    async def deliver(self, recipient: str, message: dict[str, Any]) -> None:
        s = self._settings
        url = f"{s.whatsapp_base_url.rstrip('/')}/{s.whatsapp_api_version}/{s.whatsapp_phone_number_id}/messages"
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": recipient, **message}
        try:
            response = await self._client.post(
                url, json=body, headers={"Authorization": f"Bearer {_secret(s.whatsapp_access_token)}"}
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(type(exc).__name__) from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"HTTP {response.status_code}")

    async def aclose(self) -> None:
        await self._client.aclose()


def _read_message(raw: dict[str, Any]) -> Inbound | None:
    message_id, sender, kind = raw.get("id"), raw.get("from"), raw.get("type")
    if not isinstance(message_id, str) or not message_id or not isinstance(sender, str) or not sender.strip():
        return None
    sender = sender.strip()
    if kind in _IGNORED_TYPES:
        return None
    if kind == "text":
        text = raw.get("text")
        body = text.get("body") if isinstance(text, dict) else None
        return Inbound(message_id, sender, TEXT, body if isinstance(body, str) else "")
    if kind == "interactive":
        interactive = raw.get("interactive")
        if isinstance(interactive, dict) and interactive.get("type") in ("button_reply", "list_reply"):
            reply = interactive.get(str(interactive["type"]))
            if isinstance(reply, dict):
                chosen = reply.get("id") or reply.get("title")
                if isinstance(chosen, str) and chosen:
                    return Inbound(message_id, sender, PAYLOAD, chosen)
    if kind == "button":  # a template's quick reply
        button = raw.get("button")
        if isinstance(button, dict):
            chosen = button.get("payload") or button.get("text")
            if isinstance(chosen, str) and chosen:
                return Inbound(message_id, sender, PAYLOAD, chosen)
    return Inbound(message_id, sender, UNSUPPORTED)


router = APIRouter(tags=["whatsapp"])


def _worker(request: Request) -> InboundWorker:
    channels: dict[str, InboundWorker] = getattr(request.app.state, "channels", {})
    worker = channels.get(WhatsAppChannel.name)
    if worker is None or not worker.channel.enabled:
        raise HTTPException(status_code=404)
    return worker


@router.get("/webhooks/whatsapp", include_in_schema=False)
async def verify(request: Request) -> Response:
    channel = _worker(request).channel
    assert isinstance(channel, WhatsAppChannel)
    query = request.query_params
    if query.get("hub.mode") == "subscribe" and channel.verify_token_ok(query.get("hub.verify_token")):
        return PlainTextResponse(query.get("hub.challenge", ""))
    return Response(status_code=403)


@router.post("/webhooks/whatsapp", include_in_schema=False)
async def receive(request: Request) -> Response:
    worker = _worker(request)
    channel = worker.channel
    assert isinstance(channel, WhatsAppChannel)
    body = await request.body()
    if not channel.signature_ok(body, request.headers.get("x-hub-signature-256")):
        return Response(status_code=401)
    try:
        payload = json.loads(body)
    except ValueError:
        return Response(status_code=400)
    # Stored before the 200: an error here is a 500, and WhatsApp delivers the message again.
    await worker.receive(channel.parse(payload))
    return Response(status_code=200)


def start(app: FastAPI, sessions: async_sessionmaker[AsyncSession]) -> asyncio.Task[None]:
    """The channel's worker, as a task of the app's lifespan (idle when WhatsApp is not configured)."""
    settings: Settings = app.state.settings
    worker = InboundWorker(WhatsAppChannel(settings), sessions, app.state.chat, settings.max_message_chars)
    app.state.channels = {**getattr(app.state, "channels", {}), WhatsAppChannel.name: worker}
    return asyncio.create_task(worker.run_forever(), name="whatsapp")
