"""The widget's welcome and starters (knowledge/webchat.yml) and the message mapping."""

from __future__ import annotations

from server.api.schemas import Button, ChatMessage
from server.widget import bot_uttered, welcome_message
from tests.unit.test_training_data import domain_intents


def test_every_starter_is_an_intent_of_the_domain() -> None:
    starters = welcome_message().buttons
    assert 3 <= len(starters) <= 4
    assert {b.payload.removeprefix("/") for b in starters} <= domain_intents()


def test_the_four_starters_the_demo_page_promises() -> None:
    titles = [b.title for b in welcome_message().buttons]
    assert titles == ["Mes droits", "Les rôles des patients engagés", "Devenir patient partenaire", "Faire une demande"]


def test_buttons_are_sent_as_quick_replies_and_text_alone_without() -> None:
    assert bot_uttered(ChatMessage(text="Bonjour")) == {"text": "Bonjour"}
    assert bot_uttered(ChatMessage(text="Oui ?", buttons=[Button(title="Oui", payload="/affirm")])) == {
        "text": "Oui ?",
        "quick_replies": [{"content_type": "text", "title": "Oui", "payload": "/affirm"}],
    }
