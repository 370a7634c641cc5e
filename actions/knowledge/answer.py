"""``action_answer_knowledge``: answer the knowledge topic the user asked about."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.mode import wants_short_answer
from knowledge.loader import get_knowledge
from knowledge.messages import message
from knowledge.schema import Entry


def utter_entry(dispatcher: CollectingDispatcher, tracker: Tracker, entry: Entry) -> None:
    """Say ``entry``: its short answer for staff, its full answer for patients."""
    if wants_short_answer(tracker):
        text = message("answer_short", answer=entry.short, sources=entry.source_line())
    else:
        text = message("answer_long", answer=entry.long, sources=entry.source_line())
    dispatcher.utter_message(text=text)


class ActionAnswerKnowledge(Action):
    def name(self) -> str:
        return "action_answer_knowledge"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        entry = get_knowledge().for_intent(intent)
        if entry is None:
            dispatcher.utter_message(response="utter_default")
            return [SlotSet("topic", None)]
        utter_entry(dispatcher, tracker, entry)
        return [SlotSet("topic", entry.id)]
