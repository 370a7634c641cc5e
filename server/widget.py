"""The website widget: rasa-webchat's socket.io protocol, served by the front door.

Not a queued messaging channel (``server/channels/``): each message is answered at
once on the socket it came from, and nothing waits in the database.

The widget (``rasa-webchat`` 1.0.1, unmodified) speaks the protocol of Rasa's
``socketio`` channel: it emits ``session_request`` on connecting and
``user_uttered`` for each message; the server answers ``session_confirm`` and
``bot_uttered``.  Here the front door speaks it itself (python-socketio mounted
in the ASGI app), so the engine stays private on 127.0.0.1 and the widget gets
the same sessions, checks and records as ``POST /api/chat``:

- the session id is issued by the server: an id the browser sends back is kept
  only if the server issued it, otherwise a fresh one is confirmed;
- every message of a socket goes to the session confirmed *to that socket*,
  whatever ``session_id`` the browser puts in its payload;
- a ``/intent{...}`` payload passes only if it is a button offered to that
  session (``ChatService``); typed text starting with ``/`` is text;
- bot text is sent as text; the widget renders markdown with raw HTML escaped;
- the rate limits (``server.ratelimit``) count per conversation and per IP
  address of the socket; a refused message gets the French notice as the bot's message.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio  # type: ignore[import-untyped]
from fastapi import FastAPI

from knowledge.messages import message
from knowledge.webchat import get_webchat
from server.api.schemas import ChatMessage
from server.chat import ChatService, clean_text
from server.engine_client import EngineUnavailable
from server.ratelimit import RateLimited
from server.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "webchat"
#: What the widget sends when it opens a new conversation (its ``initPayload``).
INIT_PAYLOAD = "/session_start_webchat"
#: Where the widget connects (its ``socketPath``).
SOCKET_PATH = "socket.io"
MODES = ("patient", "staff")


def bot_uttered(chat_message: ChatMessage) -> dict[str, Any]:
    """One message as Rasa's socket.io channel sends it: buttons as quick replies."""
    data: dict[str, Any] = {"text": chat_message.text}
    if chat_message.buttons:
        data["quick_replies"] = [
            {"content_type": "text", "title": b.title, "payload": b.payload} for b in chat_message.buttons
        ]
    return data


def _mode(data: dict[str, Any]) -> str:
    custom = data.get("customData")
    mode = custom.get("mode") if isinstance(custom, dict) else None
    return mode if mode in MODES else "patient"


class WebchatChannel:
    """The socket.io server; the chat service is looked up on the app when a message arrives."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        origins = settings.webchat_allowed_origins or None  # None: same origin only
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins=origins,
            max_http_buffer_size=64 * 1024,
            logger=False,
            engineio_logger=False,
        )
        self._app = app
        self._settings = settings
        #: The IP address of each socket (python-engineio's environ says 127.0.0.1: read the ASGI scope).
        self._clients: dict[str, str] = {}
        self.sio.on("connect", self.on_connect)
        self.sio.on("disconnect", self.on_disconnect)
        self.sio.on("session_request", self.on_session_request)
        self.sio.on("user_uttered", self.on_user_uttered)

    def asgi_app(self) -> Any:
        """The ASGI app to mount at ``/socket.io`` (the widget's ``socketPath``)."""
        return socketio.ASGIApp(self.sio, socketio_path=None)

    @property
    def _chat(self) -> ChatService:
        chat: ChatService = self._app.state.chat
        return chat

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        scope = environ.get("asgi.scope")
        client = scope.get("client") if isinstance(scope, dict) else None
        if client:
            self._clients[sid] = str(client[0])
        return True

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self._clients.pop(sid, None)

    async def on_session_request(self, sid: str, data: Any) -> None:
        requested = data.get("session_id") if isinstance(data, dict) else None
        if isinstance(requested, str) and await self._chat.known(requested):
            session_id = requested
        else:
            session_id = await self._chat.open_session(None, CHANNEL)
        await self.sio.save_session(sid, {"session_id": session_id})
        await self.sio.emit("session_confirm", {"session_id": session_id}, to=sid)

    async def _session_id(self, sid: str) -> str:
        session = await self.sio.get_session(sid)
        session_id = session.get("session_id") if isinstance(session, dict) else None
        if not isinstance(session_id, str):
            # A message before any session_request: give this socket a session of its own.
            session_id = await self._chat.open_session(None, CHANNEL)
            await self.sio.save_session(sid, {"session_id": session_id})
            await self.sio.emit("session_confirm", {"session_id": session_id}, to=sid)
        return session_id

    async def _say(self, sid: str, messages: list[ChatMessage]) -> None:
        for chat_message in messages:
            await self.sio.emit("bot_uttered", bot_uttered(chat_message), to=sid)

    async def on_user_uttered(self, sid: str, data: Any) -> None:
        if not isinstance(data, dict):
            return
        session_id = await self._session_id(sid)
        raw = data.get("message")
        text = clean_text(raw) if isinstance(raw, str) else ""
        if text == INIT_PAYLOAD:
            await self._welcome(sid, session_id)
            return
        limit = self._settings.max_message_chars
        if isinstance(raw, str) and len(raw) > limit:
            await self._say(sid, [ChatMessage(text=message("message_too_long", limit=limit))])
            return
        if not text:
            await self._say(sid, [ChatMessage(text=message("empty_message"))])
            return
        try:
            response = await self._chat.turn(text, session_id, _mode(data), CHANNEL, client=self._clients.get(sid))
        except RateLimited as exc:
            await self._say(sid, [ChatMessage(text=exc.detail)])
            return
        except EngineUnavailable as exc:
            logger.warning("webchat: turn not handled (%s)", exc.component)
            await self._say(sid, [ChatMessage(text=message("unavailable"))])
            return
        await self._say(sid, response.messages)

    async def _welcome(self, sid: str, session_id: str) -> None:
        welcome = welcome_message()
        await self._chat.offer(session_id, [b.payload for b in welcome.buttons])
        await self._say(sid, [welcome])


def welcome_message() -> ChatMessage:
    """The welcome and its starter buttons (``knowledge/webchat.yml``)."""
    content = get_webchat()
    return ChatMessage.model_validate({"text": content.welcome, "buttons": [s.model_dump() for s in content.starters]})
