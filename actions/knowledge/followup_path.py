"""``action_followup_path``: "et comment on le devient ?" after a role."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge.answer import answer
from actions.knowledge.roles import mentioned_roles, path_entry, role_entry, roles
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
        # A role named now ("comment devenir patient chercheur ?") wins over the one discussed before.
        named = mentioned_roles(tracker, kb)
        role = named[0] if named else role_entry(kb, tracker.get_slot("subject_role"))
        if role is None:
            ask_which_role(dispatcher, "ask_followup_path")
            return []
        target = path_entry(kb, role)
        if target is None:
            # No documented path for this role: say so, with what the sources say of its training.
            training = role.profile.training if role.profile else ""
            dispatcher.utter_message(
                text=message("path_unknown", role=role.title, training=training, sources=role.source_line())
            )
            return [SlotSet("topic", role.id)]
        return answer(dispatcher, tracker, target)
