"""``action_route_request``: a request with no knowledge topic of its own (thanks, talking to an RU)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.forms import resume_form
from actions.routage.offer import route_offer
from knowledge.annuaire import request_for
from knowledge.messages import message


class ActionRouteRequest(Action):
    def name(self) -> str:
        return "action_route_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        request_id = request_for(intent=intent)
        if request_id is None:
            dispatcher.utter_message(text=message("fallback"))
            return [SlotSet("topic", None), *resume_form(tracker)]
        return [SlotSet("topic", None), *route_offer(dispatcher, request_id), *resume_form(tracker)]
