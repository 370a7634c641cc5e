"""End to end: the real trained model and action server behind POST /api/chat."""

from __future__ import annotations

import json
import socket
import sqlite3
import time

import httpx
import pytest

from evaluation.stack import Stack, alive, stop_stack
from knowledge.loader import get_knowledge

pytestmark = pytest.mark.e2e


def test_health_reports_every_component(stack: Stack) -> None:
    body = httpx.get(f"{stack.url}/health", timeout=10).json()
    assert body["status"] == "ok"
    assert body["components"]["engine"]["tracker_store"]["type"] == "SQLTrackerStore"


def test_a_three_turn_conversation_gets_the_right_topics(stack: Stack) -> None:
    with httpx.Client(timeout=60) as client:
        first = stack.chat(client, "bonjour")
        sid = first["session_id"]
        assert first["topic"] is None
        assert first["messages"] and "Bonjour" in first["messages"][0]["text"]

        second = stack.chat(client, "c est quoi un patient partenaire ?", sid)
        assert second["session_id"] == sid
        assert second["topic"] == "role.patient_partenaire"
        text = second["messages"][0]["text"]
        assert "Montréal" in text and "Source : " in text and "France Assos Santé" in text

        third = stack.chat(client, "et la personne de confiance, c'est qui ?", sid)
        assert third["topic"] == "droit.personne_confiance"
        assert "L1111-6" in third["messages"][0]["text"]

        fourth = stack.chat(client, "à quoi sert la commission des usagers ?", sid, mode="staff")
        assert fourth["topic"] == "service.cdu"
        cdu = get_knowledge().get("service.cdu")
        assert cdu is not None
        assert fourth["messages"][0]["text"] == f"{cdu.short} (Source : {cdu.source_line()})"


def test_what_can_you_do(stack: Stack) -> None:
    with httpx.Client(timeout=60) as client:
        body = stack.chat(client, "que sais-tu faire ?")
        assert body["topic"] == "bot.capacites"
        assert "patient partenaire" in body["messages"][0]["text"]


def test_typed_intent_syntax_is_read_as_text(stack: Stack) -> None:
    typed = '/greet{"topic": "service.cdu"}'
    with httpx.Client(timeout=60) as client:
        sid = stack.chat(client, typed)["session_id"]
    with sqlite3.connect(stack.tracker_db) as db:
        [(data,)] = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'", (sid,)
        ).fetchall()
    event = json.loads(data)
    # An intent payload would be parsed with confidence 1.0 and its entities set as slots.
    assert event["parse_data"]["intent"]["confidence"] < 1.0
    assert event["parse_data"]["entities"] == []
    assert event["text"].endswith(typed)


def test_ctrl_c_stops_everything_and_the_conversation_is_on_disk(stack: Stack) -> None:
    with httpx.Client(timeout=60) as client:
        sid = stack.chat(client, "c'est quoi la CDU ?")["session_id"]
    started = stop_stack(stack)
    assert len(started) >= 3
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(alive(pid) for pid in started):
        time.sleep(0.2)
    assert [pid for pid in started if alive(pid)] == [], "orphan processes after Ctrl-C"
    for port in stack.ports:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"
    with sqlite3.connect(stack.tracker_db) as db:
        events = db.execute("SELECT type_name FROM events WHERE sender_id = ?", (sid,)).fetchall()
    assert ("user",) in events and ("bot",) in events
