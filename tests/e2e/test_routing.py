"""Requests through POST /api/chat on the real model: routing of every held-out request
phrasing, contact details, a full transmission that leaves one ticket and one e-mail
received by a real local SMTP server, and an RU chosen by site and theme."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from evaluation.stack import Stack
from knowledge.annuaire import get_directory
from tests.e2e.conftest import Inbox
from tests.e2e.test_partners import Talk

pytestmark = pytest.mark.e2e

REQUESTS = Path(__file__).resolve().parents[1] / "nlu" / "requests.yml"
#: Share of held-out request phrasings that must reach their service.
MIN_ROUTED = 0.85


def heldout_requests() -> list[dict[str, str]]:
    data: dict[str, Any] = yaml.safe_load(REQUESTS.read_text(encoding="utf-8"))
    return list(data["requests"])


def test_every_request_type_routes_to_its_service(stack: Stack) -> None:
    requests = heldout_requests()
    routed: Counter[str] = Counter()
    misses: list[str] = []
    with httpx.Client(timeout=60) as client:
        for request in requests:
            body = stack.chat(client, request["text"])
            route = body["route"] or {}
            if route.get("service") == request["service"]:
                routed[request["request"]] += 1
            else:
                misses.append(f"{request['text']!r} -> {route.get('service')} (expected {request['service']})")
    total = sum(routed.values())
    print(f"held-out requests routed to their service: {total}/{len(requests)} ({dict(sorted(routed.items()))})")
    assert set(routed) == set(get_directory().requests), f"request types never routed; misses: {misses}"
    assert total / len(requests) >= MIN_ROUTED, f"{total}/{len(requests)} routed; misses:\n" + "\n".join(misses)


def tickets(stack: Stack) -> list[dict[str, Any]]:
    with sqlite3.connect(stack.app_db) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM tickets ORDER BY id")]


def wait_for_mail(inbox: Inbox, reference: str, timeout_s: float = 20) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for recipients, mail in inbox.mails:
            if reference in str(mail["Subject"]):
                return recipients, mail
        time.sleep(0.2)
    raise AssertionError(f"no mail for {reference}: {[m['Subject'] for _, m in inbox.mails]}")


def test_a_transmitted_request_leaves_one_ticket_and_one_mail(stack: Stack, inbox: Inbox) -> None:
    texts = get_directory().messages
    description = "Je voudrais recevoir une copie du dossier de mon hospitalisation de mars en cardiologie."
    with httpx.Client(timeout=60) as client:
        talk = Talk(stack, client)
        talk.say("je veux une copie de mon dossier médical")
        assert talk.last["route"] == {"service": "relations_usagers", "ticket": None}
        talk.click(texts.contacts_button)
        assert "relations-usagers@hopital.example" in talk.texts[0]
        talk.click(texts.transmit_button)
        talk.asks("description")
        talk.say("court")
        talk.asks("description")
        assert talk.texts[0] == texts.invalid_description
        talk.say(description)
        talk.asks("contact")
        talk.say("demain matin")
        assert talk.texts[0] == texts.invalid_contact
        talk.say("jo.martin@example.org")
        talk.asks("consentement_transmission")
        talk.click("Oui")
        talk.asks("transcription")
        talk.click("Oui")
        talk.asks("confirmation_transmission")
        assert description in talk.texts[-1]
        talk.say("oui")
        talk.asks(None)
        route = talk.last["route"]
        reference = route["ticket"]
        assert route["service"] == "relations_usagers" and reference.startswith("TK-")
        assert reference in talk.texts[0] and "L1111-7" in talk.texts[0]
        talk.say("oui")  # a second confirmation: nothing more is stored

    rows = [t for t in tickets(stack) if t["reference"] == reference]
    assert len(rows) == 1
    ticket = rows[0]
    assert (ticket["service"], ticket["request_type"], ticket["contact"]) == (
        "relations_usagers",
        "dossier_medical",
        "jo.martin@example.org",
    )
    assert ticket["description"] == description and "copie de mon dossier" in ticket["transcript"]
    recipients, mail = wait_for_mail(inbox, reference)
    assert recipients == ["relations-usagers@hopital.example"]
    body = mail.get_payload(decode=True).decode()
    assert description in body and "jo.martin@example.org" in body
    deadline = time.monotonic() + 10
    while tickets(stack)[-1]["notification"] != "envoyee" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [t["notification"] for t in tickets(stack) if t["reference"] == reference] == ["envoyee"]


def test_an_ru_is_chosen_by_site_and_theme_or_the_request_goes_to_the_cdu(stack: Stack) -> None:
    with httpx.Client(timeout=60) as client:
        talk = Talk(stack, client)
        talk.say("je voudrais parler à un représentant des usagers")
        assert talk.last["route"]["service"] == "representants_usagers"
        talk.click(get_directory().messages.transmit_button)
        talk.asks("ru_site")
        talk.click("Hôpitaux de Brabois (exemple)")
        talk.asks("ru_theme")
        talk.click("Cancer")
        talk.asks("description")
        assert any("Association d'exemple de lutte contre le cancer" in text for text in talk.texts)  # proposed
        assert talk.last["route"] == {"service": "representants_usagers", "ticket": None, "ru": "ru_exemple_2"}

        other = Talk(stack, client)
        other.say("je souhaite être mis en relation avec un représentant des usagers")
        other.click(get_directory().messages.transmit_button)
        other.click("Hôpital central (exemple)")
        other.click("Cancer")
        assert get_directory().messages.no_ru in other.texts
        other.asks("description")
        assert other.last["route"]["service"] == "cdu"
        other.say("annuler")
        other.asks(None)
