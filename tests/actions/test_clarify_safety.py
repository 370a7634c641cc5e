"""A clarification never offers an emergency, medical advice or distress as a button."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge.clarify import ActionClarify
from knowledge.messages import message
from tests.actions.conftest import TrackerFactory

SAFETY = ["urgence", "urgence_suicide", "urgence_incendie", "hors_sujet", "soutien_detresse"]


@pytest.mark.parametrize("safety_intent", SAFETY)
async def test_safety_topics_are_never_offered(
    make_tracker: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any], safety_intent: str
) -> None:
    tracker = make_tracker("nlu_fallback", "je sais pas trop, c'est compliqué")
    ranking = [("nlu_fallback", 0.52), (safety_intent, 0.4), ("droit_information", 0.3), ("droit_consentement", 0.2)]
    tracker.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    await ActionClarify().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"] == message("clarify")
    payloads = [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]
    assert f"/{safety_intent}" not in payloads
    assert payloads[:2] == ["/droit_information", "/droit_consentement"]


async def test_with_only_safety_topics_the_fallback_is_said_without_buttons(
    make_tracker: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker("nlu_fallback", "xqzw")
    ranking = [("nlu_fallback", 0.52), ("urgence_vitale", 0.4), ("hors_sujet", 0.3)]
    tracker.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    await ActionClarify().run(dispatcher, tracker, domain)
    assert [m["text"] for m in dispatcher.messages] == [message("fallback")]
    assert not any(m.get("buttons") for m in dispatcher.messages)
