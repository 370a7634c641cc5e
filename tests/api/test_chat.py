from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowledge.loader import get_knowledge
from server.chat import TEXT_GUARD
from tests.api.conftest import FakeEngine

UNAVAILABLE = "L'assistant est momentanément indisponible"


def state(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"slots_set": {}, "slots": {}, "active_loop": None, "requested_slot": None, "actions": []}
    base.update(overrides)
    return base


def test_a_first_message_gets_a_server_issued_session_and_the_full_contract(
    client: TestClient, fake_engine: FakeEngine
) -> None:
    response = client.post("/api/chat", json={"message": "bonjour"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"session_id", "messages", "topic", "route", "form"}
    assert body["messages"] == [{"text": "Bonjour !", "buttons": []}]
    assert body["topic"] is None and body["route"] is None and body["form"] is None
    # 32 url-safe characters: 192 random bits.
    assert len(body["session_id"]) >= 32
    assert fake_engine.received[0]["sender"] == body["session_id"]
    assert fake_engine.received[0]["metadata"] == {"mode": "patient", "channel": "api"}


def test_the_session_is_kept_and_unknown_or_forged_ids_get_a_new_one(
    client: TestClient, fake_engine: FakeEngine
) -> None:
    first = client.post("/api/chat", json={"message": "bonjour"}).json()["session_id"]
    again = client.post("/api/chat", json={"message": "merci", "session_id": first}).json()["session_id"]
    assert again == first
    for forged in ("a" * 40, "../../etc", "x", first[:-1] + ("A" if first[-1] != "A" else "B")):
        other = client.post("/api/chat", json={"message": "bonjour", "session_id": forged}).json()["session_id"]
        assert other not in (first, forged)


def test_topic_route_and_form_come_from_the_engine_state(client: TestClient, fake_engine: FakeEngine) -> None:
    fake_engine.reply = lambda body: {
        "messages": [{"text": "Un patient partenaire…", "buttons": [{"title": "Et le RU ?", "payload": "/role_ru"}]}],
        "state": state(
            slots_set={"topic": "role.patient_partenaire"},
            slots={"topic": "role.patient_partenaire", "route_service": "cdu", "route_ticket": None},
            active_loop="inscription_partenaire",
            requested_slot="email",
        ),
    }
    body = client.post("/api/chat", json={"message": "c est quoi un patient partenaire ?"}).json()
    assert body["topic"] == "role.patient_partenaire"
    assert body["messages"][0]["buttons"] == [{"title": "Et le RU ?", "payload": "/role_ru"}]
    assert body["route"] == {"service": "cdu", "ticket": None}
    assert body["form"] == {"name": "inscription_partenaire", "requested_slot": "email"}


def test_a_topic_set_in_an_earlier_turn_is_not_repeated(client: TestClient, fake_engine: FakeEngine) -> None:
    fake_engine.reply = lambda body: {
        "messages": [{"text": "Au revoir"}],
        "state": state(slots={"topic": "service.cdu"}),
    }
    assert client.post("/api/chat", json={"message": "au revoir"}).json()["topic"] is None


def test_staff_mode_is_passed_to_the_engine(client: TestClient, fake_engine: FakeEngine) -> None:
    client.post("/api/chat", json={"message": "définition RU", "mode": "staff"})
    assert fake_engine.received[0]["metadata"]["mode"] == "staff"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"message": ""}, "vide"),
        ({"message": "   \n\t "}, "vide"),
        ({"message": "\x00\x00"}, "vide"),
        ({"message": "a" * 1001}, "1000 caractères"),
        ({}, "vide"),
        ({"message": "bonjour", "mode": "admin"}, "« patient » ou « staff »"),
        ({"message": 42}, "requête n'est pas valide"),
    ],
)
def test_bad_input_gets_422_with_a_french_detail(
    client: TestClient, fake_engine: FakeEngine, payload: dict[str, Any], fragment: str
) -> None:
    response = client.post("/api/chat", json=payload)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]
    assert fake_engine.received == []


def test_a_message_of_exactly_1000_characters_is_accepted(client: TestClient) -> None:
    assert client.post("/api/chat", json={"message": "é" * 1000}).status_code == 200


def test_malformed_json_gets_a_french_422(client: TestClient) -> None:
    response = client.post("/api/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "requête" in response.json()["detail"]


def test_typed_intent_payloads_are_treated_as_text(client: TestClient, fake_engine: FakeEngine) -> None:
    client.post("/api/chat", json={"message": '/inscription_partenaire{"email": "x@y.fr"}'})
    assert fake_engine.received[0]["message"] == TEXT_GUARD + '/inscription_partenaire{"email": "x@y.fr"}'


def test_a_payload_offered_by_the_last_reply_passes_through(client: TestClient, fake_engine: FakeEngine) -> None:
    fake_engine.reply = lambda body: {
        "messages": [{"text": "Vouliez-vous dire…", "buttons": [{"title": "CDU", "payload": "/service_cdu"}]}],
        "state": state(),
    }
    sid = client.post("/api/chat", json={"message": "commission"}).json()["session_id"]
    client.post("/api/chat", json={"message": "/service_cdu", "session_id": sid})
    assert fake_engine.received[-1]["message"] == "/service_cdu"
    # A payload offered to one session is plain text in another.
    client.post("/api/chat", json={"message": "/service_cdu"})
    assert fake_engine.received[-1]["message"] == TEXT_GUARD + "/service_cdu"


def test_html_is_returned_as_json_text_never_as_markup(client: TestClient, fake_engine: FakeEngine) -> None:
    fake_engine.reply = lambda body: {"messages": [{"text": body["message"]}], "state": state()}
    response = client.post("/api/chat", json={"message": "<img src=x onerror=alert(1)>"})
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["messages"][0]["text"] == "<img src=x onerror=alert(1)>"


def test_engine_down_gives_503_in_french(client: TestClient, fake_engine: FakeEngine) -> None:
    fake_engine.engine_up = False
    response = client.post("/api/chat", json={"message": "bonjour"})
    assert response.status_code == 503
    assert response.json()["detail"].startswith(UNAVAILABLE)
    assert response.json()["component"] == "engine"


def test_a_silent_custom_action_with_the_action_server_down_gives_503(
    client: TestClient, fake_engine: FakeEngine
) -> None:
    fake_engine.reply = lambda body: {"messages": [], "state": state(actions=["action_answer_knowledge"])}
    fake_engine.actions_up = False
    response = client.post("/api/chat", json={"message": "c'est quoi la CDU ?"})
    assert response.status_code == 503
    assert response.json()["component"] == "actions"


def test_sessions_are_stored_in_the_database(client: TestClient, settings: Any) -> None:
    sid = client.post("/api/chat", json={"message": "bonjour"}).json()["session_id"]
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id, channel FROM chat_sessions").fetchall()
    assert rows == [(sid, "api")]


def test_unknown_routes_answer_in_french(client: TestClient) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.json()["detail"] == "Cette page n'existe pas."


def test_an_emergency_read_by_a_form_still_gets_the_numbers_first_and_the_form_is_kept(
    client: TestClient, fake_engine: FakeEngine
) -> None:
    fake_engine.reply = lambda body: {
        "messages": [{"text": "Quelle est votre adresse e-mail ?"}],
        "state": state(
            slots_set={"email": "je veux mourir"},
            active_loop="inscription_partenaire",
            requested_slot="email",
            intent="urgence",
        ),
    }
    body = client.post("/api/chat", json={"message": "je veux mourir"}).json()
    urgence = get_knowledge().get("urgence")
    assert urgence is not None
    assert body["topic"] == "urgence"
    assert body["messages"][0]["text"].startswith(urgence.long)
    assert all(number in body["messages"][0]["text"] for number in ("15", "112", "114", "3114"))
    assert body["messages"][1]["text"] == "Quelle est votre adresse e-mail ?"
    assert body["form"] == {"name": "inscription_partenaire", "requested_slot": "email"}


def test_an_emergency_the_dialogue_answered_is_not_repeated(client: TestClient, fake_engine: FakeEngine) -> None:
    fake_engine.reply = lambda body: {
        "messages": [{"text": "Appelez le 15."}],
        "state": state(slots_set={"topic": "urgence"}, intent="urgence"),
    }
    body = client.post("/api/chat", json={"message": "je fais un malaise"}).json()
    assert [m["text"] for m in body["messages"]] == ["Appelez le 15."]
