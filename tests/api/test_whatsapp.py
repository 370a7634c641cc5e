"""The WhatsApp webhook, with the engine faked and the Graph API a real local HTTP server.

Each message is stored before the 200, answered in the background, in order per
sender; the replies are retried, a message is never lost, and the sender's
number is never in clear in the database nor in the logs.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from knowledge.messages import message
from server.settings import Settings
from tests import fake_graph as wa
from tests.api.conftest import FakeEngine, api_settings, app_client
from tests.fake_graph import FakeGraph, wait_until
from tests.tracker_store import add_events

NUMBER = "33612345678"
OTHER = "33798765432"
#: Real message ids encode the sender's number (base64 of "…33612345678…").
WAMID = "wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzRUIwRTM1RkU4RjA0QjY2NzAwRgA="


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    server = FakeGraph().start()
    yield server
    server.stop()


@pytest.fixture
def wa_settings(tmp_path: Path, graph: FakeGraph, tracker_db: Path) -> Settings:
    return api_settings(
        tmp_path,
        tracker_url=f"sqlite:///{tracker_db}",
        whatsapp_base_url=graph.url,
        whatsapp_api_version=wa.API_VERSION,
        whatsapp_access_token=wa.ACCESS_TOKEN,  # type: ignore[arg-type]
        whatsapp_phone_number_id=wa.PHONE_NUMBER_ID,
        whatsapp_app_secret=wa.APP_SECRET,  # type: ignore[arg-type]
        whatsapp_verify_token=wa.VERIFY_TOKEN,  # type: ignore[arg-type]
        whatsapp_hash_key=wa.HASH_KEY,  # type: ignore[arg-type]
        whatsapp_poll_s=0.05,
        whatsapp_retry_base_s=0.05,
        whatsapp_retry_max_s=0.2,
        whatsapp_attempts_before_failure=3,
    )


@pytest.fixture
def wa_client(wa_settings: Settings, fake_engine: FakeEngine) -> Iterator[TestClient]:
    """The API tests' ``client``, with the WhatsApp channel on."""
    with app_client(wa_settings, fake_engine) as test_client:
        yield test_client


def post(client: TestClient, payload: dict[str, Any], signature: str | None = "valid") -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"content-type": "application/json"}
    if signature == "valid":
        headers["x-hub-signature-256"] = wa.sign(body)
    elif signature is not None:
        headers["x-hub-signature-256"] = signature
    return client.post("/webhooks/whatsapp", content=body, headers=headers)


def rows(settings: Settings) -> list[dict[str, Any]]:
    with sqlite3.connect(settings.database_url.removeprefix("sqlite:///")) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM inbound_messages ORDER BY id")]


def states(settings: Settings) -> list[str]:
    return [r["state"] for r in rows(settings)]


def answer(*messages: dict[str, Any]) -> Any:
    def reply(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "messages": [{"recipient_id": body["sender"], **m} for m in messages],
            "state": {"slots_set": {}, "slots": {}, "active_loop": None, "requested_slot": None, "actions": []},
        }

    return reply


# --- handshake and signature -------------------------------------------------------------------


def test_the_verification_handshake_answers_the_challenge(wa_client: TestClient) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": wa.VERIFY_TOKEN, "hub.challenge": "1158201444"}
    response = wa_client.get("/webhooks/whatsapp", params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": wa.VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
def test_a_wrong_verify_token_is_refused(wa_client: TestClient, params: dict[str, str]) -> None:
    response = wa_client.get("/webhooks/whatsapp", params=params)
    assert response.status_code == 403
    assert "1" not in response.text


def test_the_webhook_is_off_until_configured(client: TestClient) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    assert client.get("/webhooks/whatsapp", params=params).status_code == 404
    assert post(client, wa.text(NUMBER, "wamid.a", "bonjour")).status_code == 404


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, "sha1=abc", "not-even-close"])
def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(
    wa_client: TestClient, wa_settings: Settings, fake_engine: FakeEngine, graph: FakeGraph, signature: str | None
) -> None:
    response = post(wa_client, wa.text(NUMBER, "wamid.a", "bonjour"), signature=signature)
    assert response.status_code == 401
    body = json.dumps(wa.text(NUMBER, "wamid.b", "bonjour")).encode()
    signed_by_another = wa.sign(body, secret="someone-else")
    response = wa_client.post("/webhooks/whatsapp", content=body, headers={"x-hub-signature-256": signed_by_another})
    assert response.status_code == 401
    assert rows(wa_settings) == []
    assert fake_engine.received == [] and graph.calls == []


def test_the_signature_covers_the_raw_body(wa_client: TestClient, wa_settings: Settings) -> None:
    body = json.dumps(wa.text(NUMBER, "wamid.a", "bonjour")).encode()
    tampered = body.replace(b"bonjour", b"bonsoir")
    response = wa_client.post("/webhooks/whatsapp", content=tampered, headers={"x-hub-signature-256": wa.sign(body)})
    assert response.status_code == 401
    assert rows(wa_settings) == []


# --- messages and replies ----------------------------------------------------------------------


def test_a_text_message_is_answered_through_the_graph_api(
    wa_client: TestClient, wa_settings: Settings, fake_engine: FakeEngine, graph: FakeGraph
) -> None:
    response = post(wa_client, wa.text(NUMBER, WAMID, "c'est quoi un patient partenaire ?"))
    assert response.status_code == 200
    wait_until(lambda: states(wa_settings) == ["done"], what="the reply")

    [received] = fake_engine.received
    assert received["sender"] == wa.session_id(NUMBER)
    assert received["message"] == "c'est quoi un patient partenaire ?"
    assert received["metadata"] == {"mode": "patient", "channel": "whatsapp"}
    [call] = graph.calls
    assert call.path == f"/{wa.API_VERSION}/{wa.PHONE_NUMBER_ID}/messages"
    assert call.authorization == f"Bearer {wa.ACCESS_TOKEN}"
    assert call.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": NUMBER,
        "type": "text",
        "text": {"preview_url": False, "body": "Bonjour !"},
    }
    [row] = rows(wa_settings)
    assert row["channel"] == "whatsapp" and row["session_id"] == wa.session_id(NUMBER)
    assert row["recipient"] is None and row["text"] is None and row["replies"] is None
    with sqlite3.connect(wa_settings.database_url.removeprefix("sqlite:///")) as db:
        assert db.execute("SELECT channel FROM chat_sessions WHERE id = ?", (wa.session_id(NUMBER),)).fetchone() == (
            "whatsapp",
        )


def test_a_chosen_button_sends_its_payload_to_the_engine(
    wa_client: TestClient, wa_settings: Settings, fake_engine: FakeEngine, graph: FakeGraph
) -> None:
    fake_engine.reply = answer(
        {
            "text": "Souhaitez-vous continuer ?",
            "buttons": [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}],
        }
    )
    post(wa_client, wa.text(NUMBER, "wamid.1", "je veux m'inscrire"))
    wait_until(lambda: graph.sent(NUMBER), what="the question")
    [question] = graph.sent(NUMBER)
    assert question["type"] == "interactive"
    assert question["interactive"]["body"] == {"text": "Souhaitez-vous continuer ?"}
    assert wa.choices(question) == [("button_reply", "/affirm", "Oui"), ("button_reply", "/deny", "Non")]

    post(wa_client, wa.button_reply(NUMBER, "wamid.2", "/affirm", "Oui"))
    wait_until(lambda: len(fake_engine.received) == 2, what="the second turn")
    assert fake_engine.received[1]["message"] == "/affirm"  # offered to this session: passed as a payload
    assert fake_engine.received[1]["sender"] == wa.session_id(NUMBER)


def test_a_list_reply_sends_its_payload_and_a_payload_not_offered_is_text(
    wa_client: TestClient, wa_settings: Settings, fake_engine: FakeEngine, graph: FakeGraph
) -> None:
    buttons = [
        {"title": f"Domaine numéro {i} assez long", "payload": f'/choisir{{"domaine":"d{i}"}}'} for i in range(5)
    ]
    fake_engine.reply = answer({"text": "Quels domaines ?", "buttons": buttons})
    post(wa_client, wa.text(NUMBER, "wamid.1", "je veux m'inscrire"))
    wait_until(lambda: graph.sent(NUMBER), what="the list")
    [question] = graph.sent(NUMBER)
    assert question["interactive"]["type"] == "list"
    assert question["interactive"]["action"]["button"] == message("whatsapp_list_button")
    kind, row_id, title = wa.choices(question)[3]
    assert (kind, row_id) == ("list_reply", '/choisir{"domaine":"d3"}') and len(title) <= 24

    post(wa_client, wa.list_reply(NUMBER, "wamid.2", row_id, title))
    post(wa_client, wa.button_reply(NUMBER, "wamid.3", "/restart"))
    wait_until(lambda: len(fake_engine.received) == 3, what="the turns")
    assert fake_engine.received[1]["message"] == '/choisir{"domaine":"d3"}'
    assert fake_engine.received[2]["message"] == "\u2060/restart"  # never offered: read as text


def test_status_callbacks_and_other_numbers_are_ignored(
    wa_client: TestClient, wa_settings: Settings, fake_engine: FakeEngine, graph: FakeGraph
) -> None:
    assert post(wa_client, wa.status(NUMBER, "wamid.out1")).status_code == 200
    other_number = wa.notification(
        {"messages": [{"from": NUMBER, "id": "wamid.x", "type": "text", "text": {"body": "hi"}}]}, number_id="999"
    )
    assert post(wa_client, other_number).status_code == 200
    reaction = wa.incoming(NUMBER, "wamid.r", "reaction", {"message_id": "wamid.out1", "emoji": "👍"})
    assert post(wa_client, reaction).status_code == 200
    assert rows(wa_settings) == []
    assert fake_engine.received == [] and graph.calls == []


def test_a_message_that_is_not_text_gets_a_notice_without_the_engine(
    wa_client: TestClient, wa_settings: Settings, fake_engine: FakeEngine, graph: FakeGraph
) -> None:
    post(wa_client, wa.incoming(NUMBER, "wamid.img", "image", {"id": "media-1", "mime_type": "image/jpeg"}))
    wait_until(lambda: states(wa_settings) == ["done"], what="the notice")
    assert [m["text"]["body"] for m in graph.sent(NUMBER)] == [message("channel_unsupported")]
    assert fake_engine.received == []


def test_a_message_delivered_twice_is_processed_once(
    wa_client: TestClient, wa_settings: Settings, fake_engine: FakeEngine, graph: FakeGraph
) -> None:
    payload = wa.text(NUMBER, WAMID, "bonjour")
    assert post(wa_client, payload).status_code == 200
    assert post(wa_client, payload).status_code == 200
    wait_until(lambda: states(wa_settings) == ["done"], what="the reply")
    assert post(wa_client, payload).status_code == 200  # a late retry, after the answer
    wait_until(lambda: len(graph.sent()) >= 1, what="the reply")
    assert len(rows(wa_settings)) == 1
    assert len(fake_engine.received) == 1
    assert len(graph.sent(NUMBER)) == 1


def test_messages_of_one_sender_are_answered_in_order(
    wa_client: TestClient, wa_settings: Settings, fake_engine: FakeEngine, graph: FakeGraph
) -> None:
    fake_engine.reply = lambda body: answer({"text": f"re: {body['message']}"})(body)
    for i in range(5):
        post(wa_client, wa.text(NUMBER, f"wamid.{i}", f"message {i}"))
        post(wa_client, wa.text(OTHER, f"wamid.other.{i}", f"autre {i}"))
    wait_until(lambda: states(wa_settings).count("done") == 10, what="every reply")
    assert [m["text"]["body"] for m in graph.sent(NUMBER)] == [f"re: message {i}" for i in range(5)]
    assert [m["text"]["body"] for m in graph.sent(OTHER)] == [f"re: autre {i}" for i in range(5)]


# --- failures: the Graph API, the engine -------------------------------------------------------


def test_graph_api_errors_are_retried_then_the_reply_is_sent_once(
    wa_client: TestClient, wa_settings: Settings, graph: FakeGraph, fake_engine: FakeEngine
) -> None:
    fake_engine.reply = answer({"text": "Premier."}, {"text": "Second."})
    graph.fail(2)
    post(wa_client, wa.text(NUMBER, "wamid.1", "bonjour"))
    wait_until(lambda: states(wa_settings) == ["done"], what="the replies")
    assert [m["text"]["body"] for m in graph.sent(NUMBER)] == ["Premier.", "Second."]
    assert graph.attempts() == 4
    [row] = rows(wa_settings)
    assert row["attempts"] == 2 and row["last_error"] is None
    assert len(fake_engine.received) == 1  # the turn ran once


def test_a_reply_that_cannot_be_sent_is_marked_failed_and_logged(
    wa_client: TestClient,
    wa_settings: Settings,
    graph: FakeGraph,
    fake_engine: FakeEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    fake_engine.reply = answer({"text": "Réponse."})
    graph.fail(1000)
    post(wa_client, wa.text(NUMBER, WAMID, "mon message privé"))
    wait_until(lambda: states(wa_settings) == ["failed"], what="the failure")
    assert graph.attempts() == wa_settings.whatsapp_attempts_before_failure == 3
    [row] = rows(wa_settings)  # still there, without the number nor the texts
    assert (row["attempts"], row["last_error"]) == (3, "HTTP 500")
    assert row["recipient"] is None and row["text"] is None and row["replies"] is None

    def failure_logged() -> list[logging.LogRecord]:  # logged just after the row is committed
        return [r for r in caplog.records if r.levelno == logging.ERROR and "marked failed" in r.getMessage()]

    failed = wait_until(failure_logged, what="the failure's log line")
    assert len(failed) == 1 and "HTTP 500" in failed[0].getMessage()
    assert NUMBER not in caplog.text and "mon message privé" not in caplog.text and "Réponse." not in caplog.text

    # The sender's next message is answered all the same.
    graph.fail(0)
    post(wa_client, wa.text(NUMBER, "wamid.next", "et maintenant ?"))
    wait_until(lambda: states(wa_settings) == ["failed", "done"], what="the next reply")


def test_while_the_engine_is_down_messages_wait_and_are_answered_after(
    wa_client: TestClient, wa_settings: Settings, graph: FakeGraph, fake_engine: FakeEngine
) -> None:
    fake_engine.reply = lambda body: answer({"text": f"re: {body['message']}"})(body)
    fake_engine.engine_up = False
    for i in range(3):
        assert post(wa_client, wa.text(NUMBER, f"wamid.{i}", f"question {i}")).status_code == 200
    wait_until(lambda: rows(wa_settings)[0]["attempts"] >= 3, what="a few tries")
    assert states(wa_settings) == ["pending"] * 3
    assert rows(wa_settings)[0]["last_error"] == "EngineUnavailable"
    assert graph.calls == []

    fake_engine.engine_up = True
    wait_until(lambda: states(wa_settings) == ["done"] * 3, what="the replies")
    assert [m["text"]["body"] for m in graph.sent(NUMBER)] == [f"re: question {i}" for i in range(3)]


def test_messages_stored_before_a_restart_are_answered_after_it(
    wa_settings: Settings, fake_engine: FakeEngine, graph: FakeGraph
) -> None:
    fake_engine.engine_up = False
    with app_client(wa_settings, fake_engine) as first:
        post(first, wa.text(NUMBER, "wamid.1", "bonjour"))
    assert states(wa_settings) == ["pending"]
    fake_engine.engine_up = True
    with app_client(wa_settings, fake_engine):
        wait_until(lambda: states(wa_settings) == ["done"], what="the reply after the restart")
    assert len(graph.sent(NUMBER)) == 1


# --- erasure and privacy -----------------------------------------------------------------------


@pytest.mark.parametrize("words", ["STOP", "Supprimer mes DONNÉES !", "  supprimer   mes donnees"])
def test_stop_erases_the_conversation(
    wa_client: TestClient,
    wa_settings: Settings,
    graph: FakeGraph,
    fake_engine: FakeEngine,
    tracker_db: Path,
    words: str,
) -> None:
    sid = wa.session_id(NUMBER)
    post(wa_client, wa.text(NUMBER, "wamid.1", "bonjour"))
    wait_until(lambda: states(wa_settings) == ["done"], what="the first reply")
    add_events(tracker_db, [(sid, "x"), ("someone-else", "y")])

    post(wa_client, wa.text(NUMBER, "wamid.2", words))
    wait_until(lambda: len(graph.sent(NUMBER)) == 2, what="the confirmation")
    assert graph.sent(NUMBER)[-1]["text"]["body"] == message("channel_forgotten")
    assert len(fake_engine.received) == 1  # the phrase never reached the engine
    app_db = wa_settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(app_db) as db:
        assert db.execute("SELECT COUNT(*) FROM chat_sessions WHERE id = ?", (sid,)).fetchone() == (0,)
    with sqlite3.connect(tracker_db) as db:
        assert db.execute("SELECT sender_id FROM events").fetchall() == [("someone-else",)]
    wait_until(lambda: states(wa_settings) == ["done"], what="the earlier message's row erased")

    # A new conversation may start afterwards.
    post(wa_client, wa.text(NUMBER, "wamid.3", "bonjour"))
    wait_until(lambda: len(fake_engine.received) == 2, what="a new turn")
    assert fake_engine.received[1]["sender"] == sid


def test_the_number_and_the_text_are_never_in_clear_in_the_database_nor_in_the_logs(
    wa_settings: Settings, fake_engine: FakeEngine, graph: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_engine.reply = answer({"text": "Voici votre résumé confidentiel."})
    with app_client(wa_settings, fake_engine) as client:
        graph.fail(1)
        post(client, wa.text(NUMBER, WAMID, "je m'appelle Zéphyrine Quatremaire"))
        wait_until(lambda: states(wa_settings) == ["done"], what="the first reply")
        fake_engine.engine_up = False
        post(client, wa.text(NUMBER, "wamid.2", "encore Zéphyrine"))
        wait_until(lambda: rows(wa_settings)[-1]["attempts"] >= 1, what="a try of the second")
        # While waiting, nothing is in clear either.
        app_db = Path(wa_settings.database_url.removeprefix("sqlite:///"))
        files = [app_db, app_db.with_name("app.db-wal")]
        waiting = b"".join(p.read_bytes() for p in files if p.exists())
        assert NUMBER.encode() not in waiting and "Zéphyrine".encode() not in waiting
        fake_engine.engine_up = True
        wait_until(lambda: states(wa_settings) == ["done", "done"], what="the second reply")
    assert len(graph.sent(NUMBER)) == 2
    data = b"".join(p.read_bytes() for p in files if p.exists())
    for secret in (NUMBER, WAMID, "Zéphyrine", "Quatremaire", "résumé confidentiel"):
        assert secret.encode() not in data, secret
    for record in caplog.records:
        assert NUMBER not in record.getMessage() and "Zéphyrine" not in record.getMessage()
    assert NUMBER not in caplog.text and WAMID not in caplog.text
