"""``action_followup_role``: "et un patient expert ?" answers the same kind of question for another role."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge.answer import PATH, answer
from actions.knowledge.followup_path import ask_which_role
from actions.knowledge.roles import path_entry, role_entry
from knowledge.loader import get_knowledge


def mentioned_role(tracker: Tracker) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "role" and entity.get("value"):
            return str(entity["value"])
    return None


class ActionFollowupRole(Action):
    def name(self) -> str:
        return "action_followup_role"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kb = get_knowledge()
        role = role_entry(kb, mentioned_role(tracker))
        if role is None:
            ask_which_role(dispatcher, "ask_followup_role")
            return []
        target = role
        if tracker.get_slot("answer_kind") == PATH:
            target = path_entry(kb, role) or role
        return answer(dispatcher, tracker, target)
