"""At INFO, the logs hold no message text, e-mail, phone number or name.

A full registration with distinctive values goes through ``POST /api/chat`` on the
real stack (engine, action server, front door, all logging to ``stack.log``), with a
question in the middle of the form and a message the assistant does not
understand; then the whole log is searched for each value and each message sent.
"""

from __future__ import annotations

import re

import httpx
import pytest

from evaluation.stack import Stack
from knowledge.partenaires import get_partners
from tests.e2e.test_partners import Talk, fill, registrations, start
from tests.helpers import wait_until_quiet

pytestmark = pytest.mark.e2e

PRENOM = "Eulalie"
NOM = "Quinconce-Brasdefer"
EMAIL = "Eulalie.Quinconce@exemple-unique.org"
PHONE_TYPED = "06 47 29 18 53"
PHONE_E164 = "+33647291853"
AVAILABILITY = "les jeudis matin sauf au mois de Zanzibar"


def test_a_registration_leaves_no_personal_data_in_the_logs(stack: Stack) -> None:
    assert stack.log.exists()
    sent: list[str] = []
    with httpx.Client(timeout=60) as client:
        talk = Talk(stack, client)
        original_say = talk.say

        def say(text: str) -> dict[str, object]:
            sent.append(text)
            return original_say(text)

        talk.say = say  # type: ignore[method-assign]
        start(talk)
        fill(talk, PRENOM, NOM, EMAIL)
        talk.asks("telephone")
        talk.say("c'est quoi un patient ressource ?")  # a question in the middle of the form
        talk.asks("telephone")
        talk.say(PHONE_TYPED)
        talk.asks("profil")
        talk.click("Patient")
        talk.asks("domaines")
        talk.say("la recherche et la formation des professionnels")
        talk.asks("experience")
        talk.say("une maladie rare du zonzonnement depuis vingt-sept ans")
        talk.asks("disponibilites")
        talk.say(AVAILABILITY)
        talk.asks("confirmation")
        talk.click(get_partners().registration.confirm_button)
        talk.asks(None)
        assert talk.texts[0].startswith(f"Merci {PRENOM}")
        # A message outside any form that the assistant does not understand (stored for staff, not logged).
        talk.say("brouzoufle vermicelle archipel quatorze")
    assert any(r["email"] == EMAIL.lower() or r["email"] == EMAIL for r in registrations(stack))
    wait_until_quiet(stack.log)  # the processes have written their last lines
    # The whole log of the shared stack (its start-up lines prove the processes log there);
    # the values searched are unique to this test.
    written = stack.log.read_bytes().decode("utf-8", errors="replace")
    assert "Uvicorn running" in written or "Application startup complete" in written, written[-2000:]
    lowered = written.lower()
    found = [
        value
        for value in (PRENOM, NOM, EMAIL, EMAIL.lower(), PHONE_TYPED, PHONE_E164, PHONE_E164[1:], "647291853")
        if value.lower() in lowered
    ]
    assert found == [], f"personal data in the logs: {found}"
    texts = [text for text in sent if not text.startswith("/") and len(text) > 3]
    assert len(texts) >= 8
    logged = [text for text in texts if text.lower() in lowered]
    assert logged == [], f"message texts in the logs: {logged}"
    assert not re.search(r"zonzonnement|zanzibar|brouzoufle", lowered)
