"""``action_coordonnees``: the contact details of the service the request goes to."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common.forms import resume_form
from actions.routage.offer import ROUTE_SERVICE, contact_text, request_buttons, route_events
from knowledge.annuaire import get_directory

TYPE_ENTITY = "demande_type"


class ActionCoordonnees(Action):
    def name(self) -> str:
        return "action_coordonnees"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        directory = get_directory()
        chosen = next(tracker.get_latest_entity_values(TYPE_ENTITY), None)
        if chosen in directory.requests:
            events = route_events(chosen)
            service = directory.requests[chosen].service
        else:
            events = []
            service = tracker.get_slot(ROUTE_SERVICE)
        if service not in directory.services:
            dispatcher.utter_message(
                text=directory.messages.which_request, buttons=request_buttons("demander_coordonnees")
            )
            return resume_form(tracker)
        transmit = {"title": directory.messages.transmit_button, "payload": "/transmettre_demande"}
        dispatcher.utter_message(text=contact_text(service), buttons=[transmit])
        return events + resume_form(tracker)
