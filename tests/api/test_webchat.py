"""The website widget's socket.io channel, driven by a real socket.io client against a live server.

The engine is faked (``FakeEngine``); the browser side is ``socketio.SimpleClient``
speaking the same events as rasa-webchat: ``session_request``, ``user_uttered``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio  # type: ignore[import-untyped]
from playwright.sync_api import sync_playwright

from knowledge.messages import message
from knowledge.webchat import get_webchat
from server.chat import TEXT_GUARD
from server.settings import Settings
from server.widget import INIT_PAYLOAD
from tests.api.conftest import FakeEngine, app_client, fake_app
from tests.helpers import CHROMIUM, TOKEN
from tests.live_server import serve
from tests.tracker_store import add_events


class LiveServer:
    def __init__(self, url: str, app_db: Path, tracker_db: Path) -> None:
        self.url = url
        self.app_db = app_db
        self.tracker_db = tracker_db

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.app_db) as db:
            return db.execute(sql, params).fetchall()


@pytest.fixture
def live(tmp_path: Path, fake_engine: FakeEngine, tracker_db: Path) -> Iterator[LiveServer]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        tracker_url=f"sqlite:///{tracker_db}",
        engine_token=TOKEN,  # type: ignore[arg-type]
        max_message_chars=200,
    )
    with serve(fake_app(settings, fake_engine)) as url:
        yield LiveServer(url, tmp_path / "app.db", tracker_db)


class Widget:
    """What rasa-webchat does on the socket, with the events it receives."""

    def __init__(self, url: str, session_id: str | None = None, mode: str = "patient") -> None:
        self.client = socketio.SimpleClient()
        self.client.connect(url, socketio_path="socket.io")
        self.mode = mode
        self.client.emit("session_request", {"session_id": session_id})
        event, data = self.client.receive(timeout=10)
        assert event == "session_confirm"
        self.session_id: str = data["session_id"]

    def say(self, text: str, session_id: str | None = None, replies: int = 1) -> list[dict[str, Any]]:
        """Send a message as the widget does; return the ``replies`` bot_uttered events that follow.

        The count is the test's expectation: waiting for silence instead would be a sleep
        before asserting that nothing else came.  A message beyond the count would be taken
        by the next ``say`` as its reply (a merged button message split in two, say, fails
        the quick-replies test that way).
        """
        custom = {"language": "fr", "mode": self.mode}
        self.client.emit(
            "user_uttered", {"message": text, "customData": custom, "session_id": session_id or self.session_id}
        )
        received = []
        for _ in range(replies):
            event, data = self.client.receive(timeout=10)
            assert event == "bot_uttered"
            received.append(data)
        return received

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def widget(live: LiveServer) -> Iterator[Widget]:
    opened = Widget(live.url)
    yield opened
    opened.close()


def test_the_server_issues_the_session_id_and_keeps_it_across_reloads(live: LiveServer, widget: Widget) -> None:
    assert live.rows("SELECT id, channel FROM chat_sessions") == [(widget.session_id, "webchat")]
    reloaded = Widget(live.url, session_id=widget.session_id)
    assert reloaded.session_id == widget.session_id
    reloaded.close()


def test_an_id_the_server_did_not_issue_is_replaced(live: LiveServer) -> None:
    forged = Widget(live.url, session_id="A" * 32)
    assert forged.session_id != "A" * 32
    assert live.rows("SELECT count(*) FROM chat_sessions WHERE id = ?", "A" * 32) == [(0,)]
    forged.close()


def test_the_welcome_offers_the_starters_and_a_starter_reaches_the_engine(
    widget: Widget, fake_engine: FakeEngine
) -> None:
    welcome = widget.say(INIT_PAYLOAD)
    starters = get_webchat().starters
    assert welcome == [
        {
            "text": get_webchat().welcome,
            "quick_replies": [{"content_type": "text", "title": s.title, "payload": s.payload} for s in starters],
        }
    ]
    assert fake_engine.received == []  # the welcome is the front door's own
    widget.say(starters[0].payload)
    assert fake_engine.received[-1]["message"] == starters[0].payload
    assert fake_engine.received[-1]["sender"] == widget.session_id
    assert fake_engine.received[-1]["metadata"] == {"mode": "patient", "channel": "webchat"}


def test_a_typed_payload_that_was_not_offered_is_text(widget: Widget, fake_engine: FakeEngine) -> None:
    widget.say('/inscription_partenaire{"consentement": true}')
    assert fake_engine.received[-1]["message"] == TEXT_GUARD + '/inscription_partenaire{"consentement": true}'


def test_buttons_become_quick_replies_and_html_is_sent_as_text(widget: Widget, fake_engine: FakeEngine) -> None:
    fake_engine.reply = lambda body: {
        "messages": [
            {"text": "<img src=x onerror=alert(1)> Vous avez écrit : " + body["message"]},
            {"buttons": [{"title": "Oui", "payload": "/affirm"}]},
        ],
        "state": {"slots": {}, "slots_set": {}, "actions": []},
    }
    replies = widget.say("<b>bonjour</b>")
    assert replies == [
        {
            "text": "<img src=x onerror=alert(1)> Vous avez écrit : <b>bonjour</b>",
            "quick_replies": [{"content_type": "text", "title": "Oui", "payload": "/affirm"}],
        }
    ]
    widget.say("/affirm")  # offered: a payload
    assert fake_engine.received[-1]["message"] == "/affirm"


def test_a_socket_only_speaks_for_its_own_session(live: LiveServer, widget: Widget, fake_engine: FakeEngine) -> None:
    other = Widget(live.url)
    widget.say("bonjour", session_id=other.session_id)
    assert fake_engine.received[-1]["sender"] == widget.session_id
    other.close()


def test_staff_mode_is_a_widget_option(live: LiveServer, fake_engine: FakeEngine) -> None:
    staff = Widget(live.url, mode="staff")
    staff.say("patient expert")
    assert fake_engine.received[-1]["metadata"]["mode"] == "staff"
    staff.close()


@pytest.mark.parametrize(
    ("text", "key"),
    [("   ", "empty_message"), ("x" * 201, "message_too_long")],
)
def test_bad_input_gets_a_french_message_and_reaches_no_engine(
    widget: Widget, fake_engine: FakeEngine, text: str, key: str
) -> None:
    replies = widget.say(text)
    assert replies == [{"text": message(key, limit=200)}]
    assert fake_engine.received == []


def test_engine_down_is_said_in_french(widget: Widget, fake_engine: FakeEngine) -> None:
    fake_engine.engine_up = False
    assert widget.say("bonjour") == [{"text": message("unavailable")}]


def test_clearing_erases_the_conversation_on_the_server(live: LiveServer, widget: Widget) -> None:
    widget.say("bonjour")
    add_events(live.tracker_db, [(widget.session_id, "a"), ("someone-else", "b")])
    with httpx.Client(base_url=live.url) as http:
        erased = http.post("/api/chat/forget", json={"session_id": widget.session_id})
        assert erased.status_code == 200
        assert erased.json() == {"detail": message("conversation_erased")}
        again = http.post("/api/chat/forget", json={"session_id": widget.session_id})
        assert again.status_code == 404
        assert again.json() == {"detail": message("conversation_unknown")}
    with sqlite3.connect(live.tracker_db) as db:
        assert db.execute("SELECT sender_id FROM events").fetchall() == [("someone-else",)]
    assert live.rows("SELECT count(*) FROM chat_sessions WHERE id = ?", widget.session_id) == [(0,)]
    assert live.rows("SELECT count(*) FROM erasure_requests") == [(0,)]
    # The browser comes back with the erased id: it gets a new conversation.
    fresh = Widget(live.url, session_id=widget.session_id)
    assert fresh.session_id != widget.session_id
    fresh.close()


def test_the_demo_page_carries_the_widget_and_a_privacy_notice(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url) as http:
        page = http.get("/")
        assert page.status_code == 200
        assert '<html lang="fr">' in page.text
        assert '<script src="/widget.js"' in page.text and 'href="/confidentialite"' in page.text
        assert "<script>" not in page.text  # no inline script
        loader = http.get("/widget.js")
        assert loader.status_code == 200 and "WebChat.default" in loader.text and "innerHTML" not in loader.text
        bundle = http.get("/vendor/webchat.js")
        assert bundle.status_code == 200 and len(bundle.content) > 100_000
        privacy = http.get("/confidentialite")
        assert privacy.status_code == 200 and '<html lang="fr">' in privacy.text
        assert "L1110-4" in privacy.text and "$long" not in privacy.text


def test_the_widget_shows_bot_html_literally_in_a_browser(live: LiveServer, fake_engine: FakeEngine) -> None:
    """Headless Chromium (Debian's): a bot message carrying markup is displayed as text."""
    attack = (
        '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> '
        '<a href="javascript:alert(1)">x</a>'
    )
    fake_engine.reply = lambda body: {
        "messages": [{"text": attack, "buttons": [{"title": "<i>Oui</i>", "payload": "/affirm"}]}],
        "state": {"slots": {}, "slots_set": {}, "actions": []},
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.goto(live.url + "/")
            page.click(".rw-launcher")
            page.wait_for_selector(".rw-reply")
            page.fill(".rw-new-message", "bonjour")
            page.keyboard.press("Enter")
            page.wait_for_function("() => document.querySelectorAll('.rw-response').length >= 2")
            page.wait_for_timeout(500)
            page.wait_for_function("() => !document.querySelector('#wave')")
            shown = page.locator(".rw-response").last.inner_text()
            replies = page.locator(".rw-reply").all_inner_texts()
            injected = page.locator(".rw-messages-container img[src='x'], .rw-messages-container script").count()
            pwned = page.evaluate("() => window.__pwned")
        finally:
            browser.close()
    assert "<img src=x" in shown and "<script>" in shown, shown
    assert "<i>Oui</i>" in replies
    assert injected == 0 and pwned is None


def test_a_site_allowed_to_embed_the_widget_may_clear_its_conversation(
    tmp_path: Path, fake_engine: FakeEngine
) -> None:
    site = "https://www.hopital.example"
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        tracker_url=f"sqlite:///{tmp_path / 'tracker.db'}",
        engine_token=TOKEN,  # type: ignore[arg-type]
        webchat_allowed_origins=[site],
    )
    with app_client(settings, fake_engine) as client:
        allowed = client.options("/api/chat/forget", headers={"Origin": site})
        assert allowed.headers["access-control-allow-origin"] == site
        assert allowed.headers["access-control-allow-methods"] == "POST"
        other = client.options("/api/chat/forget", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        sid = client.post("/api/chat", json={"message": "bonjour"}).json()["session_id"]
        erased = client.post("/api/chat/forget", json={"session_id": sid}, headers={"Origin": site})
        assert erased.status_code == 200 and erased.headers["access-control-allow-origin"] == site
