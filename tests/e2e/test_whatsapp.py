"""A whole partner registration over WhatsApp, on the real stack: signed webhook posts in,
replies read from a fake Graph API (a real local HTTP server), buttons chosen by the ids
WhatsApp would send back.  Then the registration is withdrawn the same way."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import httpx
import pytest

from evaluation.stack import Stack
from knowledge.partenaires import get_partners
from tests import fake_graph as wa
from tests.fake_graph import FakeGraph, wait_until

pytestmark = pytest.mark.e2e

NUMBER = "33655501234"


def _words(text: str) -> str:
    return " ".join(text.split())


class WhatsAppTalk:
    """One WhatsApp conversation: each call posts a message and returns the replies sent back."""

    def __init__(self, stack: Stack, graph: FakeGraph, client: httpx.Client, number: str) -> None:
        self.stack, self.graph, self.client, self.number = stack, graph, client, number
        self.session_id = wa.session_id(number)
        self.posted = 0
        self.last: list[dict[str, Any]] = []

    def _post(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        before = len(self.graph.sent(self.number))
        body = json.dumps(payload).encode()
        response = self.client.post(
            f"{self.stack.url}/webhooks/whatsapp",
            content=body,
            headers={"content-type": "application/json", "x-hub-signature-256": wa.sign(body)},
        )
        assert response.status_code == 200, response.text
        self.posted += 1
        wait_until(lambda: self._finished() == self.posted, timeout=90, what=f"the answer to message {self.posted}")
        self.last = self.graph.sent(self.number)[before:]
        assert self.last, "no reply"
        return self.last

    def _finished(self) -> int:
        with sqlite3.connect(self.stack.app_db) as db:
            states = [
                row[0]
                for row in db.execute(
                    "SELECT state FROM inbound_messages WHERE session_id = ? ORDER BY id", (self.session_id,)
                )
            ]
        assert "failed" not in states, states
        return states.count("done")

    def say(self, text: str) -> list[dict[str, Any]]:
        return self._post(wa.text(self.number, f"wamid.e2e.{self.number}.{self.posted}", text))

    def click(self, title: str) -> list[dict[str, Any]]:
        """Choose a button or a list row as WhatsApp shows it (its title may be cut, ending with "…")."""
        for kind, reply_id, shown in (c for m in self.last for c in wa.choices(m)):
            if shown == title or (shown.endswith("…") and title.startswith(shown[:-1])):
                message_id = f"wamid.e2e.{self.number}.{self.posted}"
                make = wa.button_reply if kind == "button_reply" else wa.list_reply
                return self._post(make(self.number, message_id, reply_id, shown))
        raise AssertionError(f"no choice {title!r} in {self.last}")

    @property
    def texts(self) -> list[str]:
        return [wa.body_text(m) for m in self.last]


def registrations(stack: Stack) -> list[dict[str, Any]]:
    with sqlite3.connect(stack.app_db) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM registrations ORDER BY id")]


def test_a_full_registration_over_whatsapp(stack: Stack, graph: FakeGraph) -> None:
    partners = get_partners()
    registration = partners.registration
    email = "camille.lefevre.wa@example.org"
    with httpx.Client(timeout=60) as client:
        talk = WhatsAppTalk(stack, graph, client, NUMBER)
        talk.say("je veux m'inscrire comme patient partenaire")
        assert _words(registration.notice.text) in _words(" ".join(talk.texts))
        talk.click("Oui")
        talk.say("Camille")
        talk.say("Lefèvre")
        talk.say(email)
        talk.click(partners.buttons.skip)  # telephone: "Passer cette question", cut to 20 characters
        talk.click("Les deux")
        talk.say("la recherche et la formation des professionnels")
        talk.click(partners.buttons.skip)  # experience
        talk.say("le mardi après-midi")
        summary = " ".join(talk.texts)
        for shown in ("Camille", "Lefèvre", email, "Les deux", "Recherche"):
            assert shown in summary, (shown, summary)
        talk.click(registration.confirm_button)
        saved = talk.texts[0]
        assert saved.startswith("Merci Camille") and "PP-" in saved
        assert _words(registration.next_steps) in _words(" ".join(talk.texts[1:]))

    reference = saved.split("référence : ")[1].split(".")[0]
    [row] = [r for r in registrations(stack) if r["email"] == email]
    assert row["reference"] == reference
    assert (row["prenom"], row["nom"], row["telephone"], row["profil"]) == ("Camille", "Lefèvre", None, "les_deux")
    assert row["domaines"] == '["formation_professionnels", "recherche"]'
    assert (row["channel"], row["disponibilites"]) == ("whatsapp", "le mardi après-midi")
    assert row["session_ids"] == f'["{talk.session_id}"]'
    # Every message was answered, and the number is neither in the databases nor in the logs.
    sent = graph.sent(NUMBER)
    assert all(m["to"] == NUMBER and m["messaging_product"] == "whatsapp" for m in sent)
    with sqlite3.connect(stack.app_db) as db:
        assert db.execute(
            "SELECT COUNT(*) FROM inbound_messages WHERE recipient IS NOT NULL OR text IS NOT NULL"
        ).fetchone() == (0,)
    for path in (stack.app_db, stack.tracker_db, stack.log):
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                assert NUMBER.encode() not in file.read_bytes(), file

    # Withdrawal over WhatsApp too: the registration and both conversations are erased.
    withdrawal = partners.withdrawal
    with httpx.Client(timeout=60) as client:
        other = WhatsAppTalk(stack, graph, client, "33655509876")
        other.say("je veux retirer mon inscription et supprimer mes données")
        other.say(reference)
        other.say(email)
        assert other.texts == [withdrawal.done]
    assert [r for r in registrations(stack) if r["email"] == email] == []
