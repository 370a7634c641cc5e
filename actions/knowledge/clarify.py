"""``action_clarify``: on an uncertain understanding, ask "Vouliez-vous dire…" with the best candidates."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge.loader import get_knowledge
from knowledge.messages import message

MAX_CANDIDATES = 3
#: Below this confidence a candidate is not worth offering; with none left, the
#: fallback says what the assistant can do.  Tuned on the held-out set
#: (scripts/tune_thresholds.py), not by hand.
MIN_CANDIDATE_CONFIDENCE = 0.1


def candidates(tracker: Tracker) -> list[tuple[str, str]]:
    """(intent, title) of the best knowledge topics, most likely first."""
    kb = get_knowledge()
    found: list[tuple[str, str]] = []
    for ranked in (tracker.latest_message or {}).get("intent_ranking") or []:
        name = ranked.get("name")
        entry = kb.for_intent(name)
        if entry is None or float(ranked.get("confidence") or 0) < MIN_CANDIDATE_CONFIDENCE:
            continue
        found.append((str(name), entry.title))
        if len(found) == MAX_CANDIDATES:
            break
    return found


class ActionClarify(Action):
    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        options = candidates(tracker)
        if not options:
            dispatcher.utter_message(text=message("fallback"))
            return [SlotSet("topic", None)]
        buttons = [{"title": title, "payload": f"/{intent}"} for intent, title in options]
        buttons.append({"title": message("clarify_other"), "payload": "/bot_capacites"})
        dispatcher.utter_message(text=message("clarify"), buttons=buttons)
        return [SlotSet("topic", None)]
