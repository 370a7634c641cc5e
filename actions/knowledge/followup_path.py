"""``action_followup_path``: "et comment on le devient ?" after a role."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge.answer import answer
from actions.knowledge.roles import path_entry, role_entry, roles
from knowledge.loader import get_knowledge
from knowledge.messages import message


def ask_which_role(dispatcher: CollectingDispatcher, intent: str) -> None:
    """Offer the roles as buttons; the payload names the role as an entity."""
    buttons = [
        {"title": entry.title, "payload": f'/{intent}{{"role": "{entry.id.removeprefix("role.")}"}}'}
        for entry in roles(get_knowledge())
    ]
    dispatcher.utter_message(text=message("ask_which_role"), buttons=buttons)


class ActionFollowupPath(Action):
    def name(self) -> str:
        return "action_followup_path"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kb = get_knowledge()
        role = role_entry(kb, tracker.get_slot("role") or tracker.get_slot("subject_role"))
        target = path_entry(kb, role) if role is not None else None
        if target is None:
            ask_which_role(dispatcher, "ask_followup_path")
            return []
        return answer(dispatcher, tracker, target)
