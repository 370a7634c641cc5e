"""Security headers on every response: pages, API, static files, socket.io, errors (404, 422, 500)."""

from __future__ import annotations

import asyncio
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.types import Message, Receive, Scope, Send

from server.api.routes.pages import STATIC
from server.security import SecurityHeaders, content_security_policy
from server.settings import Settings


def directives(csp: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in csp.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_secured(headers: object, frame_ancestors: str = "'self'") -> None:
    get = headers.get  # type: ignore[attr-defined]
    csp = directives(get("content-security-policy"))
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["font-src"] == ["'self'", "data:"]
    assert csp["connect-src"][0] == "'self'"
    assert all(src.startswith(("ws://", "wss://")) for src in csp["connect-src"][1:])
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert " ".join(csp["frame-ancestors"]) == frame_ancestors
    assert get("x-content-type-options") == "nosniff"
    assert get("referrer-policy") == "strict-origin-when-cross-origin"


@pytest.fixture
def failing(client: TestClient) -> TestClient:
    """The same app with a route that raises, and a client that gets the 500 rather than the exception."""

    async def boom() -> None:
        raise RuntimeError("boom")

    client.app.add_api_route("/boom-for-test", boom)  # type: ignore[attr-defined]
    return TestClient(client.app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/glossaire", 200),
        ("GET", "/confidentialite", 200),
        ("GET", "/admin", 401),
        ("GET", "/api/glossaire", 200),
        ("GET", "/health", 200),
        ("GET", "/static/demo.css", 200),
        ("GET", "/widget.js", 200),
        ("GET", "/socket.io/?EIO=4&transport=polling", 200),
        ("GET", "/nowhere", 404),
        ("POST", "/api/chat", 422),
        ("POST", "/api/chat", 200),
    ],
)
def test_every_kind_of_response_carries_the_headers(client: TestClient, method: str, path: str, status: int) -> None:
    body = {"message": "bonjour"} if status == 200 and method == "POST" else {}
    response = client.request(method, path, json=body if method == "POST" else None)
    assert response.status_code == status, response.text
    assert_secured(response.headers)


def test_a_server_error_carries_the_headers(failing: TestClient) -> None:
    response = failing.get("/boom-for-test")
    assert response.status_code == 500
    assert_secured(response.headers)


def test_the_websocket_to_the_page_s_own_host_is_allowed(client: TestClient) -> None:
    csp = directives(client.get("/", headers={"host": "assistant.hopital.example"}).headers["content-security-policy"])
    assert csp["connect-src"] == ["'self'", "ws://assistant.hopital.example", "wss://assistant.hopital.example"]
    # A Host header that is not a host name is never written into the policy.
    forged = client.get("/", headers={"host": "x; script-src *"}).headers["content-security-policy"]
    assert directives(forged)["connect-src"] == ["'self'"] and "script-src *" not in forged


def test_frame_ancestors_come_from_the_settings(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient as Client

    from server.main import create_app

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        frame_ancestors="'self'  https://www.hopital.example",
    )
    response = Client(create_app(settings)).get("/static/demo.css")
    assert_secured(response.headers, "'self' https://www.hopital.example")
    assert "x-frame-options" not in response.headers  # it could not say "that site too"
    with pytest.raises(ValidationError, match="FRAME_ANCESTORS"):
        Settings(frame_ancestors="'self'; script-src *")


def test_a_header_set_by_the_route_is_kept_and_hsts_is_for_production() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"referrer-policy", b"no-referrer")]})
        await send({"type": "http.response.body", "body": b""})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request"}

    scope: Scope = {"type": "http", "headers": [(b"host", b"a.example")]}
    asyncio.run(SecurityHeaders(app, hsts=True)(scope, receive, send))
    headers = dict(sent[0]["headers"])
    assert headers[b"referrer-policy"] == b"no-referrer"
    assert headers[b"strict-transport-security"] == b"max-age=31536000"
    assert headers[b"x-frame-options"] == b"SAMEORIGIN"
    sent.clear()
    asyncio.run(SecurityHeaders(app)(scope, receive, send))
    assert b"strict-transport-security" not in dict(sent[0]["headers"])


def test_the_policy_has_no_unsafe_script_source() -> None:
    csp = directives(content_security_policy("'self'", "h.example"))
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(csp["script-src"])


class InlineCode(HTMLParser):
    """Inline scripts, event handler attributes and javascript: URLs in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:>")


@pytest.mark.parametrize("page", sorted(p.name for p in STATIC.glob("*.html")))
def test_the_pages_have_no_inline_script_or_handler(page: str) -> None:
    parser = InlineCode()
    parser.feed((STATIC / page).read_text(encoding="utf-8"))
    assert parser.found == []
