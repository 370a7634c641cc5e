"""``action_followup_role``: "et un patient expert ?" answers the same kind of question for another role."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge.answer import PATH, answer
from actions.knowledge.followup_path import ask_which_role
from actions.knowledge.roles import mentioned_roles, path_entry
from knowledge.loader import get_knowledge


class ActionFollowupRole(Action):
    def name(self) -> str:
        return "action_followup_role"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kb = get_knowledge()
        named = mentioned_roles(tracker, kb)
        if not named:
            ask_which_role(dispatcher, "ask_followup_role")
            return []
        role = target = named[0]
        if tracker.get_slot("answer_kind") == PATH:
            target = path_entry(kb, role) or role
        return answer(dispatcher, tracker, target)
