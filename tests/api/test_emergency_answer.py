"""The front door puts the emergency category's answer first (server/chat.py, ensure_emergency_answer)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowledge.loader import get_knowledge
from knowledge.messages import message
from tests.api.conftest import FakeEngine


def state(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"slots_set": {}, "slots": {}, "active_loop": None, "requested_slot": None, "actions": []}
    base.update(overrides)
    return base


def said(entry_id: str) -> str:
    entry = get_knowledge().get(entry_id)
    assert entry is not None
    return message("answer_long", answer=entry.long, sources=entry.source_line())


@pytest.mark.parametrize(
    ("intent", "entry_id", "number"),
    [
        ("urgence_suicide", "urgence.suicide", "3114"),
        ("urgence_violence", "urgence.violence", "17"),
        ("urgence_incendie", "urgence.incendie", "18"),
        ("urgence_enfant_danger", "urgence.enfant_danger", "119"),
        ("urgence_intoxication", "urgence.intoxication", "15"),
        ("urgence_vitale", "urgence.vitale", "15"),
    ],
)
def test_a_certain_emergency_read_by_a_form_gets_its_category_first(
    client: TestClient, fake_engine: FakeEngine, intent: str, entry_id: str, number: str
) -> None:
    fake_engine.reply = lambda body: {
        "messages": [{"text": "Quel est votre numéro de téléphone ?"}],
        "state": state(active_loop="inscription_partenaire", requested_slot="telephone", intent=intent),
    }
    body = client.post("/api/chat", json={"message": "au secours"}).json()
    assert body["topic"] == entry_id
    assert body["messages"][0]["text"] == said(entry_id)
    assert number in body["messages"][0]["text"]
    assert body["messages"][1]["text"] == "Quel est votre numéro de téléphone ?"
    assert body["form"] == {"name": "inscription_partenaire", "requested_slot": "telephone"}


def test_a_possible_emergency_keeps_its_answer_and_topic_with_the_numbers_first(
    client: TestClient, fake_engine: FakeEngine
) -> None:
    alarm = {"intent": "urgence_incendie", "category": "incendie", "level": "possible", "source": "model"}
    fake_engine.reply = lambda body: {
        "messages": [{"text": "Je ne donne pas d'avis médical."}],
        "state": state(slots_set={"topic": "hors_sujet"}, intent="hors_sujet", emergency=alarm),
    }
    body = client.post("/api/chat", json={"message": "ça sent le brûlé, c'est grave ?"}).json()
    assert [m["text"] for m in body["messages"]] == [said("urgence.incendie"), "Je ne donne pas d'avis médical."]
    assert body["topic"] == "hors_sujet"


def test_a_category_the_dialogue_answered_is_not_repeated(client: TestClient, fake_engine: FakeEngine) -> None:
    alarm = {"intent": "urgence_violence", "category": "violence", "level": "certain", "source": "pattern"}
    fake_engine.reply = lambda body: {
        "messages": [{"text": said("urgence.violence")}],
        "state": state(slots_set={"topic": "urgence.violence"}, intent="urgence_violence", emergency=alarm),
    }
    body = client.post("/api/chat", json={"message": "il me frappe"}).json()
    assert [m["text"] for m in body["messages"]] == [said("urgence.violence")]
    assert body["topic"] == "urgence.violence"


@pytest.mark.parametrize("emergency", [None, {}, {"level": "possible", "intent": "greet"}, "urgence"])
def test_no_alarm_leaves_the_turn_alone(client: TestClient, fake_engine: FakeEngine, emergency: Any) -> None:
    fake_engine.reply = lambda body: {
        "messages": [{"text": "Bonjour !"}],
        "state": state(intent="greet", emergency=emergency),
    }
    body = client.post("/api/chat", json={"message": "bonjour"}).json()
    assert [m["text"] for m in body["messages"]] == ["Bonjour !"]
