"""``action_out_of_form``: "oui", "non", "passer", "changer l'email"... when no form is running."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from knowledge.partenaires import get_partners


class ActionOutOfForm(Action):
    def name(self) -> str:
        return "action_out_of_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        partners = get_partners()
        labels = partners.buttons
        buttons = [
            {"title": labels.orientation, "payload": "/orientation"},
            {"title": labels.inscrire, "payload": "/inscription_partenaire"},
            {"title": labels.withdraw, "payload": "/retrait_inscription"},
        ]
        dispatcher.utter_message(text=partners.out_of_form, buttons=buttons)
        return []
