"""Hypothesis over message text, through POST /api/chat, POST /api/feedback and the widget's socket.io channel,
and invalid UTF-8 sent over a raw socket to the HTTP server.

Texts: empty and 10,000 characters, emoji, zero-width characters, right-to-left text,
NUL and other control bytes, lone surrogates (JSON ``\\ud800`` escapes), HTML/script, SQL,
``/intent{...}`` payloads, and any Unicode.  Whatever the text: never a 500; a message the engine gets is the text
with control characters removed and spaces trimmed (``clean_text``), nothing else;
what is stored (unanswered messages, ratings) is exactly that text, read back as
JSON (never HTML) through the back office; bot text comes back as the same
characters.  A live uvicorn server (in a thread) with the engine faked; rate
limits off.  Bounded: ``FUZZ_EXAMPLES`` examples per test (50), no deadline.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.messages import message
from server.chat import TEXT_GUARD, clean_text
from server.settings import Settings
from server.staff import COOKIE
from tests.api.conftest import FakeEngine, fake_app, manager_session
from tests.helpers import TOKEN
from tests.live_server import serve
from tests.tracker_store import create_tracker_store

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
LIMIT = 1000
SURROGATE = re.compile("[\ud800-\udfff]")
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
RIGHT_TO_LEFT = "\u202e\u202b\u200f"
SPECIAL = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\x00\x00bonjour\x00",
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "&lt;b&gt;déjà échappé&lt;/b&gt;",
        "'; DROP TABLE unanswered; --",
        "\" OR 1=1 --",
        '/inscription_partenaire{"email": "x@y.fr", "consentement": true}',
        "/affirm",
        "/restart",
        "مرحبا، ما هو المريض الشريك؟",
        "שלום, מה זה מטופל שותף?",
        RIGHT_TO_LEFT + "txt.exe",
        ZERO_WIDTH,
        "pa" + ZERO_WIDTH + "tient",
        "👩🏽‍⚕️🏥💊" * 3,
        "e\u0301\u0301\u0301 Z\u0351\u0352\u0357algo",
        "\ud7ff\ue000\U0010ffff",
        "\ud800",
        "a\udfffb",
        "\ud83d patient",  # half an emoji
        "x" * LIMIT,
        "é" * (LIMIT + 1),
        "a" * 10_000,
    ]
)
TEXTS = st.one_of(
    SPECIAL,
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50).map(lambda t: "/" + t),
    st.text(alphabet=st.sampled_from(list(ZERO_WIDTH + RIGHT_TO_LEFT + "\x00\t\n ab<>&'\"é👍")), max_size=40),
    st.lists(SPECIAL, min_size=2, max_size=4).map(" ".join),
    st.text(alphabet=st.characters(categories=["Cs", "Cc", "Cf", "Lo"]), max_size=30),
)


@dataclass
class Live:
    url: str
    settings: Settings
    engine: FakeEngine
    cookie: str

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.settings.database_url.removeprefix("sqlite:///")) as db:
            return db.execute(sql, params).fetchall()


def echo(body: dict[str, Any]) -> dict[str, Any]:
    """Not understood (stored among the unanswered), the user's text said back with markup."""
    return {
        "messages": [{"text": "<b>Vous avez écrit</b> : " + body["message"]}],
        "state": {"slots": {}, "slots_set": {}, "actions": [], "intent": "nlu_fallback", "active_loop": None},
    }


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp: Path = tmp_path_factory.mktemp("fuzz-messages")
    tracker = create_tracker_store(tmp / "tracker.db")
    app_settings = Settings(
        database_url=f"sqlite:///{tmp / 'app.db'}",
        tracker_url=f"sqlite:///{tracker}",
        engine_token=TOKEN,  # type: ignore[arg-type]
        max_message_chars=LIMIT,
        rate_limits_enabled=False,
    )
    fake = FakeEngine()
    fake.reply = echo
    with serve(fake_app(app_settings, fake), log_level="critical") as url:
        cookie = asyncio.run(manager_session(app_settings.database_url, "fuzz.reader"))
        yield Live(url, app_settings, fake, cookie)


def expected_for_engine(cleaned: str) -> str:
    return TEXT_GUARD + cleaned if cleaned.startswith("/") else cleaned


def as_json(body: dict[str, Any]) -> dict[str, Any]:
    """Request arguments for a JSON body; lone surrogates go as ``\\ud800`` escapes, as any JSON client sends them."""
    return {"content": json.dumps(body).encode("ascii"), "headers": {"content-type": "application/json"}}


@given(text=TEXTS)
@FUZZ
def test_the_chat_api_takes_any_text_literally_and_never_fails(live: Live, text: str) -> None:
    before = len(live.engine.received)
    with httpx.Client(base_url=live.url, timeout=30) as http:
        response = http.post("/api/chat", **as_json({"message": text}))
        assert response.status_code in (200, 422), response.text
        assert response.headers["content-type"] == "application/json"
        cleaned = clean_text(text)
        if response.status_code == 422:
            key = "message_too_long" if len(text) > LIMIT else "empty_message"
            assert response.json() == {"detail": message(key, limit=LIMIT)}
            assert not cleaned or len(text) > LIMIT
            assert len(live.engine.received) == before  # never sent
            return
        assert cleaned and len(text) <= LIMIT
        body = response.json()
        sent = live.engine.received[-1]
        assert sent["message"] == expected_for_engine(cleaned)
        assert body["messages"][0]["text"] == "<b>Vous avez écrit</b> : " + sent["message"]
        # Stored as typed (without control characters), and read back as data through the back office.
        sid = body["session_id"]
        assert live.rows("SELECT text FROM unanswered WHERE session_id = ?", sid) == [(cleaned,)]
        listed = http.get("/admin/api/unanswered", headers={"cookie": f"{COOKIE}={live.cookie}"})
        assert listed.status_code == 200 and listed.headers["content-type"] == "application/json"
        assert cleaned in [row["text"] for row in listed.json()]


@given(answer=TEXTS, comment=st.one_of(st.none(), TEXTS))
@FUZZ
def test_a_rating_stores_its_texts_literally(live: Live, answer: str, comment: str | None) -> None:
    with httpx.Client(base_url=live.url, timeout=30) as http:
        sid = http.post("/api/chat", json={"message": "bonjour"}).json()["session_id"]
        body = {"session_id": sid, "topic": "role.patient_partenaire", "useful": True, "message": answer}
        if comment is not None:
            body["comment"] = comment
        response = http.post("/api/feedback", **as_json(body))
    assert response.status_code in (201, 422), response.text
    stored = live.rows("SELECT message, comment FROM feedback WHERE session_id = ?", sid)
    if response.status_code == 422:
        assert stored == []
        too_long = len(answer) > 4000 or (comment is not None and len(comment) > 1000)
        # The rating's fields are checked by pydantic, which refuses lone surrogates (not Unicode text).
        not_unicode = any(SURROGATE.search(t) for t in (answer, comment or ""))
        assert not clean_text(answer) or too_long or not_unicode
        return
    assert stored == [(clean_text(answer), clean_text(comment) or None if comment is not None else None)]


@given(text=TEXTS)
@FUZZ
def test_the_widget_channel_takes_any_text_literally_and_never_fails(live: Live, text: str) -> None:
    client = socketio.SimpleClient()
    client.connect(live.url, socketio_path="socket.io", transports=["websocket"])
    try:
        client.emit("session_request", {"session_id": None})
        event, confirmed = client.receive(timeout=10)
        assert event == "session_confirm"
        before = len(live.engine.received)
        client.emit("user_uttered", {"message": text, "customData": {"mode": "patient"}})
        event, data = client.receive(timeout=10)
        assert event == "bot_uttered"
        cleaned = clean_text(text)
        if len(text) > LIMIT:
            assert data == {"text": message("message_too_long", limit=LIMIT)}
        elif not cleaned:
            assert data == {"text": message("empty_message")}
        elif cleaned == "/session_start_webchat":
            assert "quick_replies" in data
        else:
            assert live.engine.received[-1]["message"] == expected_for_engine(cleaned)
            assert data == {"text": "<b>Vous avez écrit</b> : " + expected_for_engine(cleaned)}
            sid = confirmed["session_id"]
            assert live.rows("SELECT text FROM unanswered WHERE session_id = ?", sid) == [(cleaned,)]
            return
        assert len(live.engine.received) == before
    finally:
        client.disconnect()


def raw_request(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)  # Connection: close: the server closes once it answered
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer[9:12])


def post(body: bytes, content_type: bytes = b"application/json") -> bytes:
    return (
        b"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + content_type + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )


INVALID_UTF8 = [
    b"\xff",
    b"\xc3\x28",
    b"\xa0\xa1",
    b"\xe2\x28\xa1",
    b"\xf0\x28\x8c\xbc",
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xc0\xaf",  # an overlong "/"
    b"\xf8\x88\x80\x80\x80",
]


@pytest.mark.parametrize("raw", INVALID_UTF8)
def test_invalid_utf8_in_a_body_gets_a_4xx_and_the_server_goes_on(live: Live, raw: bytes) -> None:
    before = len(live.engine.received)
    for body in (b'{"message": "' + raw + b'"}', raw, b'{"message": "ok", "session_id": "' + raw + b'"}'):
        answer = raw_request(live.url, post(body))
        assert status_of(answer) == 422, answer[:300]
        assert message("invalid_request").encode() in answer or message("empty_message").encode() in answer
    assert len(live.engine.received) == before
    assert httpx.get(live.url + "/health", timeout=10).status_code == 200


@pytest.mark.parametrize("raw", INVALID_UTF8)
def test_invalid_utf8_in_the_request_line_or_headers_gets_a_4xx(live: Live, raw: bytes) -> None:
    requests = [
        b"GET /api/glossaire/" + raw + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        b"GET /api/glossaire?q=" + raw + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: " + raw + b"\r\nConnection: close\r\n\r\n",
        b"GET /admin HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ps_staff=" + raw + b"\r\nConnection: close\r\n\r\n",
        b"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json; charset=" + raw
        + b"\r\nContent-Length: 21\r\nConnection: close\r\n\r\n" + b'{"message": "bonjour"}'[:21],
        b"\xff\xfe /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ]
    for request in requests:
        answer = raw_request(live.url, request)
        if answer:  # h11 may close a connection whose request line it cannot read
            assert status_of(answer) < 500, answer[:300]
    assert httpx.get(live.url + "/health", timeout=10).status_code == 200


@given(text=TEXTS)
@FUZZ
def test_a_messaging_channel_keeps_any_text_while_it_waits(text: str) -> None:
    """WhatsApp's texts wait sealed (AES-GCM): any text, lone surrogates included, comes back unchanged."""
    from server.channels import seal, unseal

    key = b"k" * 32
    assert unseal(key, seal(key, text)) == text
