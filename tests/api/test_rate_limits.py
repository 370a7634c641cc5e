"""Rate limits (server/ratelimit.py): per conversation, per client, form submissions; in memory and in Redis.

The engine is faked (``FakeEngine``); a refused message must never reach it.
The Redis tests use the server at ``REDIS_TEST_URL`` (default redis://127.0.0.1:6379/0),
each with its own random client address and session ids, and are skipped when it is unreachable.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from knowledge.messages import message
from server.api.schemas import FormState
from server.engine_client import EngineClient
from server.main import create_app
from server.ratelimit import RateLimited, RateLimits
from server.settings import Settings
from tests import fake_graph as wa
from tests.api.conftest import FakeEngine, app_client, fake_app
from tests.api.test_webchat import Widget
from tests.api.test_whatsapp import NUMBER, graph, post, states, wa_settings  # noqa: F401 - fixtures
from tests.fake_graph import FakeGraph, wait_until
from tests.helpers import TOKEN
from tests.live_server import serve

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


def redis_reachable() -> bool:
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


needs_redis = pytest.mark.skipif(
    not redis_reachable(), reason=f"Redis is not reachable at {REDIS_URL} (set REDIS_TEST_URL to test the shared store)"
)


def make_client(
    tmp_path: Path, engine: FakeEngine, ip: str = "203.0.113.7", **limits: Any
) -> tuple[TestClient, Settings]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        engine_token=TOKEN,  # type: ignore[arg-type]
        **limits,
    )
    client = EngineClient(
        settings.engine_url, TOKEN, settings.action_server_url, transport=httpx.MockTransport(engine.handler)
    )
    return TestClient(create_app(settings, engine_client=client), client=(ip, 50000)), settings


@pytest.fixture
def limited(tmp_path: Path, fake_engine: FakeEngine) -> Iterator[TestClient]:
    client, _ = make_client(tmp_path, fake_engine, rate_limit_session="3/minute", rate_limit_client="5/minute")
    with client:
        yield client


def say(client: TestClient, text: str, session_id: str | None = None) -> httpx.Response:
    return client.post("/api/chat", json={"message": text, "session_id": session_id})


def notice_start(key: str = "rate_limited") -> str:
    """The notice's text up to its number of seconds or minutes."""
    return message(key, seconds="\x00", minutes="\x00").split("\x00")[0]


def assert_refused(response: httpx.Response, key: str = "rate_limited") -> int:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 3600
    detail = response.json()["detail"]
    expected = message(key, seconds=retry_after, minutes=max(1, -(-retry_after // 60)))
    assert detail == expected
    return retry_after


def test_the_defaults_are_30_per_session_120_per_client_5_submissions_an_hour() -> None:
    settings = Settings()
    assert (settings.rate_limit_session, settings.rate_limit_client) == ("30/minute", "120/minute")
    assert settings.rate_limit_submissions == "5/hour" and settings.rate_limits_enabled
    with pytest.raises(ValueError, match="is not a rate limit"):
        Settings(rate_limit_session="trente par minute")


def test_a_conversation_over_its_budget_gets_429_and_the_engine_never_sees_it(
    limited: TestClient, fake_engine: FakeEngine
) -> None:
    first = say(limited, "bonjour")
    sid = first.json()["session_id"]
    assert [say(limited, "encore", sid).status_code for _ in range(2)] == [200, 200]
    retry_after = assert_refused(say(limited, "et encore", sid))
    assert 55 <= retry_after <= 60
    assert len(fake_engine.received) == 3
    # Another conversation of the same client still has room (per-client budget: 5).
    assert say(limited, "bonjour").status_code == 200


def test_a_client_over_its_budget_gets_429_whatever_the_conversation(
    limited: TestClient, fake_engine: FakeEngine
) -> None:
    assert [say(limited, f"message {i}").status_code for i in range(5)] == [200] * 5
    assert_refused(say(limited, "un de trop"))
    assert len(fake_engine.received) == 5


def test_clients_are_counted_apart(tmp_path: Path, fake_engine: FakeEngine) -> None:
    first, _ = make_client(tmp_path, fake_engine, ip="198.51.100.1", rate_limit_client="2/minute")
    with first:
        assert [say(first, "x").status_code for _ in range(3)] == [200, 200, 429]
        other = TestClient(first.app, client=("198.51.100.2", 1))
        assert say(other, "x").status_code == 200


def test_limits_can_be_turned_off(tmp_path: Path, fake_engine: FakeEngine) -> None:
    client, _ = make_client(tmp_path, fake_engine, rate_limit_client="1/minute", rate_limits_enabled=False)
    with client:
        assert [say(client, "x").status_code for _ in range(3)] == [200, 200, 200]


# --- form submissions ------------------------------------------------------------------------


class FormEngine:
    """The engine's answers for a form: ``at_summary`` asks for confirmation; "Confirmer" submits."""

    def __init__(self, fake: FakeEngine, form: str = "inscription_partenaire", summary: str = "confirmation") -> None:
        self.fake = fake
        self.form, self.summary = form, summary
        self.submit = "action_submit_inscription" if form == "inscription_partenaire" else "action_submit_transmission"
        fake.reply = self.reply

    def reply(self, body: dict[str, Any]) -> dict[str, Any]:
        text = body["message"]
        if text == "/affirm":  # the confirmation: the form ends and saves
            state = {
                "active_loop": None,
                "requested_slot": None,
                "actions": [self.submit, "action_listen"],
                "effects": ["submission"],
            }
            messages = [{"text": "Merci, votre référence : PP-XXXXXXXXXX."}]
        elif text == "email":  # a question of the form, before its summary
            state = {"active_loop": self.form, "requested_slot": "email", "actions": []}
            messages = [{"text": "Votre e-mail ?"}]
        elif text == "annuler":
            state = {"active_loop": None, "requested_slot": None, "actions": [self.submit], "effects": ["submission"]}
            messages = [{"text": "Rien n'a été enregistré."}]
        else:  # the summary
            state = {"active_loop": self.form, "requested_slot": self.summary, "actions": []}
            messages = [{"text": "Récapitulatif…", "buttons": [{"title": "Confirmer", "payload": "/affirm"}]}]
        return {"messages": messages, "state": {"slots": {}, "slots_set": {}, **state}}


@pytest.fixture
def forms(tmp_path: Path, fake_engine: FakeEngine) -> Iterator[TestClient]:
    client, _ = make_client(tmp_path, fake_engine, rate_limit_submissions="2/hour")
    with client:
        yield client


def submit(client: TestClient, text: str = "/affirm") -> httpx.Response:
    summary = say(client, "récapitulatif")
    assert summary.json()["form"]["requested_slot"] in ("confirmation", "confirmation_transmission")
    return say(client, text, summary.json()["session_id"])


@pytest.mark.parametrize(
    ("form", "summary"),
    [("inscription_partenaire", "confirmation"), ("transmission_demande", "confirmation_transmission")],
)
def test_a_client_over_its_submission_budget_cannot_confirm_and_nothing_reaches_the_engine(
    forms: TestClient, fake_engine: FakeEngine, form: str, summary: str
) -> None:
    FormEngine(fake_engine, form, summary)
    assert [submit(forms).status_code for _ in range(2)] == [200, 200]
    at_summary = say(forms, "récapitulatif")
    sid = at_summary.json()["session_id"]
    received = len(fake_engine.received)
    retry_after = assert_refused(say(forms, "/affirm", sid), "rate_limited_submissions")
    assert 3500 <= retry_after <= 3600
    assert len(fake_engine.received) == received  # never sent: nothing can be saved
    # Other messages still go through, forms included, up to their summary.
    assert say(forms, "c'est quoi un patient partenaire ?").status_code == 200
    assert say(forms, "email").status_code == 200
    assert say(forms, "récapitulatif").status_code == 200


def test_only_the_answer_to_a_summary_counts(forms: TestClient, fake_engine: FakeEngine) -> None:
    engine = FormEngine(fake_engine)
    for _ in range(4):  # questions of a form: no submission
        assert say(forms, "email").status_code == 200
    # The submit action without a summary before (not a confirmation) is not counted either.
    fake_engine.reply = lambda body: {
        "messages": [{"text": "ok"}],
        "state": {"slots": {}, "slots_set": {}, "actions": [engine.submit], "effects": ["submission"]},
    }
    for _ in range(3):
        assert say(forms, "non").status_code == 200
    fake_engine.reply = engine.reply
    assert [submit(forms).status_code for _ in range(2)] == [200, 200]
    assert submit(forms).status_code == 429


def test_cancelling_at_the_summary_counts_as_a_submission(forms: TestClient, fake_engine: FakeEngine) -> None:
    FormEngine(fake_engine)
    assert submit(forms, "annuler").status_code == 200
    assert submit(forms).status_code == 200
    assert submit(forms).status_code == 429


# --- the widget's socket.io channel and WhatsApp -----------------------------------------------


def test_the_widget_gets_the_notice_as_the_bot_s_message(tmp_path: Path, fake_engine: FakeEngine) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        engine_token=TOKEN,  # type: ignore[arg-type]
        rate_limit_session="2/minute",
    )
    with serve(fake_app(settings, fake_engine)) as url:
        widget = Widget(url)
        assert widget.say("un") == [{"text": "Bonjour !"}]
        assert widget.say("deux") == [{"text": "Bonjour !"}]
        [refused] = widget.say("trois")
        assert refused["text"].startswith(notice_start()) and "quick_replies" not in refused
        assert len(fake_engine.received) == 2
        widget.close()


def test_a_whatsapp_sender_over_its_budget_gets_the_notice(
    wa_settings: Settings,  # noqa: F811 - the fixture
    fake_engine: FakeEngine,
    graph: FakeGraph,  # noqa: F811 - the fixture
) -> None:
    settings = wa_settings.model_copy(update={"rate_limit_session": "2/minute"})
    with app_client(settings, fake_engine) as client:
        for i in range(3):
            assert post(client, wa.text(NUMBER, f"wamid.rl{i}", f"message {i}")).status_code == 200
        wait_until(lambda: states(settings) == ["done"] * 3, what="the replies")
    bodies = [m["text"]["body"] for m in graph.sent(NUMBER)]
    assert bodies[:2] == ["Bonjour !", "Bonjour !"]
    assert bodies[2].startswith(notice_start())
    assert len(fake_engine.received) == 2


# --- Redis: the same budgets shared by every process -------------------------------------------


def redis_settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        engine_token=TOKEN,  # type: ignore[arg-type]
        redis_url=REDIS_URL,  # type: ignore[arg-type]
        **values,
    )


@needs_redis
def test_redis_shares_the_budgets_between_two_processes(tmp_path: Path) -> None:
    settings = redis_settings(tmp_path, rate_limit_session="3/minute", rate_limit_client="100/minute")

    async def run() -> list[str]:
        first, second = RateLimits.from_settings(settings), RateLimits.from_settings(settings)
        session, client = secrets.token_urlsafe(24), f"192.0.2.{secrets.randbelow(250)}-{secrets.token_hex(4)}"
        outcomes = []
        try:
            for limits in (first, second, first, second):
                try:
                    await limits.admit_message(client, session)
                    outcomes.append("ok")
                except RateLimited as exc:
                    outcomes.append(f"refused {exc.budget}")
        finally:
            await first.aclose()
            await second.aclose()
        return outcomes

    assert asyncio.run(run()) == ["ok", "ok", "ok", "refused session"]


@needs_redis
def test_redis_backs_the_chat_api_and_the_submissions(tmp_path: Path, fake_engine: FakeEngine) -> None:
    ip = f"2001:db8::{secrets.token_hex(2)}"
    settings = redis_settings(tmp_path, rate_limit_session="2/minute", rate_limit_submissions="1/hour")
    engine = EngineClient(
        settings.engine_url, TOKEN, settings.action_server_url, transport=httpx.MockTransport(fake_engine.handler)
    )
    with TestClient(create_app(settings, engine_client=engine), client=(ip, 1)) as client:
        sid = say(client, "un").json()["session_id"]
        assert say(client, "deux", sid).status_code == 200
        assert_refused(say(client, "trois", sid))
        FormEngine(fake_engine)
        assert submit(client).status_code == 200
        received = len(fake_engine.received)
        assert_refused(submit(client), "rate_limited_submissions")
        assert len(fake_engine.received) == received + 1  # the summary went through, not the confirmation


def test_an_unreachable_redis_lets_messages_through(tmp_path: Path, fake_engine: FakeEngine) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = int(probe.getsockname()[1])  # nothing listens there once the probe is closed
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        engine_token=TOKEN,  # type: ignore[arg-type]
        redis_url=f"redis://127.0.0.1:{closed}/0",  # type: ignore[arg-type]
        rate_limit_session="1/minute",
    )
    engine = EngineClient(
        settings.engine_url, TOKEN, settings.action_server_url, transport=httpx.MockTransport(fake_engine.handler)
    )
    with TestClient(create_app(settings, engine_client=engine)) as client:
        sid = say(client, "un").json()["session_id"]
        assert say(client, "deux", sid).status_code == 200  # the storage is down: the assistant stays available


def test_at_summary_reads_the_form_state() -> None:
    from server.ratelimit import at_summary

    assert at_summary(FormState(name="inscription_partenaire", requested_slot="confirmation"))
    assert at_summary(FormState(name="transmission_demande", requested_slot="confirmation_transmission"))
    assert not at_summary(FormState(name="transmission_demande", requested_slot="confirmation"))
    assert not at_summary(FormState(name="inscription_partenaire", requested_slot="email"))
    assert not at_summary(None)


async def test_a_bug_of_the_limiter_is_not_taken_for_a_storage_failure() -> None:
    """Only a failing storage lets a message through: any other exception propagates."""
    from limits.aio.storage import MemoryStorage

    from server.ratelimit import Budgets, RateLimits
    from server.settings import Settings

    limits = RateLimits(Budgets.from_settings(Settings()), MemoryStorage())

    class Broken:
        async def hit(self, *args: object) -> bool:
            raise KeyError("a bug")

    limits._limiter = Broken()  # type: ignore[assignment]
    with pytest.raises(KeyError):
        await limits.admit_message("client", "session")

    class Down:
        async def hit(self, *args: object) -> bool:
            raise ConnectionRefusedError("storage down")

    limits._limiter = Down()  # type: ignore[assignment]
    await limits.admit_message("client", "session")  # let through
