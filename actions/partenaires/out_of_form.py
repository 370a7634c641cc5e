"""``action_out_of_form``: "oui", "non", "passer", "changer l'email"... when no form is running.

A "oui" right after an offer to start something (transmit a request, register)
starts it, as the offer's button would.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from contract import Form
from knowledge.partenaires import get_partners

#: Buttons whose offer a plain "oui" accepts, and the form each starts.
ACCEPTED_BY_YES = {"/transmettre_demande": Form.TRANSMISSION, "/inscription_partenaire": Form.INSCRIPTION}


def offered_payloads(tracker: Tracker) -> list[str]:
    """The buttons of the bot's messages since the user's previous message."""
    payloads: list[str] = []
    events = list(tracker.events)
    # Skip the current user message, then read back to the previous one.
    for event in reversed(events[:-1] if events and events[-1].get("event") == "user" else events):
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            payloads += [str(b.get("payload")) for b in buttons if isinstance(b, dict)]
    return payloads


class ActionOutOfForm(Action):
    def name(self) -> str:
        return "action_out_of_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        if intent == "affirm":
            forms = {ACCEPTED_BY_YES[p] for p in offered_payloads(tracker) if p in ACCEPTED_BY_YES}
            if len(forms) == 1:
                return [FollowupAction(forms.pop())]
        partners = get_partners()
        labels = partners.buttons
        buttons = [
            {"title": labels.orientation, "payload": "/orientation"},
            {"title": labels.inscrire, "payload": "/inscription_partenaire"},
            {"title": labels.withdraw, "payload": "/retrait_inscription"},
        ]
        dispatcher.utter_message(text=partners.out_of_form, buttons=buttons)
        return []
