"""Security headers on every response of the front door: pages, API, static files, socket.io, errors.

``SecurityHeaders`` is a pure ASGI middleware; ``SecuredApp`` puts it outside
every other layer, Starlette's ``ServerErrorMiddleware`` included, so that a
500 carries the headers too, and so do the mounted socket.io app and static files.

* ``Content-Security-Policy``: scripts from the front door only, no inline
  script or handler (``script-src 'self'``); styles from the front door plus
  inline ``<style>`` elements, which the widget (rasa-webchat) injects at run
  time; images and fonts from the front door and ``data:`` (the widget embeds
  a font as a data: URL);
  connections to the front door, its socket.io websocket included (``ws:``/
  ``wss:`` on the request's own host); no plugins; no ``<base>``; forms post to
  the front door; ``frame-ancestors`` from ``FRAME_ANCESTORS`` (``'self'`` by
  default: add the hospital's site to show the pages in its frames).
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: strict-origin-when-cross-origin``,
  ``Permissions-Policy`` (no camera, microphone, geolocation, payment),
  ``Cross-Origin-Opener-Policy: same-origin``; ``X-Frame-Options: SAMEORIGIN``
  for old browsers when only ``'self'`` may frame the pages; in production,
  ``Strict-Transport-Security`` (one year).

``require_utf8_body`` (a dependency of every route) refuses a request body that
is not valid UTF-8 with a 422: Python's JSON parser would otherwise take
UTF-8-encoded surrogates (``\xed\xa0\x80``) as text.

No ``Cross-Origin-Resource-Policy``: hospital sites load ``/widget.js`` and the
widget's bundle from the front door.  A header a route set itself is kept.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: A Host header that may be written into the CSP (anything else is left out).
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$")


def content_security_policy(frame_ancestors: str, host: str | None = None) -> str:
    connect = "'self'"
    if host and _HOST.match(host):
        # 'self' covers same-origin websockets in CSP 3; older browsers need them named.
        connect += f" ws://{host} wss://{host}"
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        f"connect-src {connect}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ]
    return "; ".join(directives)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, frame_ancestors: str = "'self'", hsts: bool = False) -> None:
        self.app = app
        self.frame_ancestors = frame_ancestors
        self.fixed: list[tuple[bytes, bytes]] = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if frame_ancestors == "'self'":
            self.fixed.append((b"x-frame-options", b"SAMEORIGIN"))
        if hsts:
            self.fixed.append((b"strict-transport-security", b"max-age=31536000"))

    def headers_for(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        host = None
        for name, value in scope.get("headers", []):
            if name == b"host":
                host = value.decode("latin-1")
                break
        csp = content_security_policy(self.frame_ancestors, host)
        return [(b"content-security-policy", csp.encode("latin-1")), *self.fixed]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers_for(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {bytes(name).lower() for name, _ in headers}
                headers.extend((name, value) for name, value in extra if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def require_utf8_body(request: Request) -> None:
    """422 for a body that is not UTF-8 (the handler answers in French, like any invalid request)."""
    if request.method in ("POST", "PUT", "PATCH"):
        try:
            (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(status_code=422) from None


class SecuredApp(FastAPI):
    """FastAPI with ``SecurityHeaders`` as its outermost layer (outside the server-error handler)."""

    def __init__(self, *, frame_ancestors: str = "'self'", hsts: bool = False, **kwargs: Any) -> None:
        self.frame_ancestors = frame_ancestors
        self.hsts = hsts
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), self.frame_ancestors, self.hsts)
