"""A real local HTTP server that plays the WhatsApp Graph API, and the webhook's signed notifications.

Shared by ``tests/api/test_whatsapp.py`` and the end-to-end tests (``tests/e2e/conftest.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-token-for-tests"
ACCESS_TOKEN = "access-token-for-tests"
HASH_KEY = "hash-key-for-tests-0123456789abcdef"
PHONE_NUMBER_ID = "109876543210"
API_VERSION = "v21.0"


@dataclass
class Call:
    path: str
    authorization: str | None
    body: dict[str, Any]
    status: int


class FakeGraph:
    """Records every ``POST /{version}/{phone_number_id}/messages``; answers 500 while told to fail."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._fail = 0
        self._lock = threading.Lock()
        graph = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's hook
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with graph._lock:
                    status = 500 if graph._fail > 0 else 200
                    graph._fail = max(0, graph._fail - 1)
                    graph.calls.append(Call(self.path, self.headers.get("authorization"), body, status))
                    count = len(graph.calls)
                answer = (
                    {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.out{count}"}]}
                    if status == 200
                    else {"error": {"message": "(#1) temporary failure", "code": 1}}
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # http.server: quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # serve_forever polls for shutdown every 0.5 s by default: every test's teardown waited for it
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-graph", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeGraph:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, times: int) -> None:
        """Answer 500 to the next ``times`` messages."""
        with self._lock:
            self._fail = times

    def sent(self, to: str | None = None) -> list[dict[str, Any]]:
        """The messages accepted (200), to one recipient or all."""
        with self._lock:
            return [c.body for c in self.calls if c.status == 200 and (to is None or c.body.get("to") == to)]

    def attempts(self) -> int:
        with self._lock:
            return len(self.calls)


def env(graph: FakeGraph) -> dict[str, str]:
    """The settings that turn the channel on, pointing at the fake Graph API."""
    return {
        "WHATSAPP_BASE_URL": graph.url,
        "WHATSAPP_API_VERSION": API_VERSION,
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_HASH_KEY": HASH_KEY,
        "WHATSAPP_POLL_S": "0.2",
        "WHATSAPP_RETRY_BASE_S": "0.1",
        "WHATSAPP_RETRY_MAX_S": "0.5",
    }


def session_id(number: str) -> str:
    return "wa_" + hmac.new(HASH_KEY.encode(), number.encode(), hashlib.sha256).hexdigest()[:60]


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notification(value: dict[str, Any], number_id: str = PHONE_NUMBER_ID) -> dict[str, Any]:
    """A webhook notification as WhatsApp sends it, around one ``value``."""
    metadata = {"display_phone_number": "33100000000", "phone_number_id": number_id}
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA_ID",
                "changes": [
                    {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": metadata, **value}}
                ],
            }
        ],
    }


def incoming(number: str, message_id: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    message = {"from": number, "id": message_id, "timestamp": str(int(time.time())), "type": kind, kind: content}
    contacts = [{"profile": {"name": "Camille"}, "wa_id": number}]
    return notification({"contacts": contacts, "messages": [message]})


def text(number: str, message_id: str, body: str) -> dict[str, Any]:
    return incoming(number, message_id, "text", {"body": body})


def button_reply(number: str, message_id: str, reply_id: str, title: str = "") -> dict[str, Any]:
    return incoming(
        number, message_id, "interactive", {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}}
    )


def list_reply(number: str, message_id: str, reply_id: str, title: str = "") -> dict[str, Any]:
    return incoming(
        number, message_id, "interactive", {"type": "list_reply", "list_reply": {"id": reply_id, "title": title}}
    )


def status(number: str, message_id: str) -> dict[str, Any]:
    callback = {"id": message_id, "status": "delivered", "timestamp": "1", "recipient_id": number}
    return notification({"statuses": [callback]})


def choices(message: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The buttons or list rows of a sent message: (kind, id, title)."""
    if message.get("type") != "interactive":
        return []
    interactive = message["interactive"]
    if interactive["type"] == "button":
        return [("button_reply", b["reply"]["id"], b["reply"]["title"]) for b in interactive["action"]["buttons"]]
    rows = [row for section in interactive["action"]["sections"] for row in section["rows"]]
    return [("list_reply", row["id"], row["title"]) for row in rows]


def body_text(message: dict[str, Any]) -> str:
    if message.get("type") == "text":
        return str(message["text"]["body"])
    return str(message["interactive"]["body"]["text"])


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
