"""``action_answer_knowledge``: answer the knowledge topic the user asked about."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.forms import resume_form
from actions.common.mode import wants_short_answer
from actions.knowledge.roles import PATH_PREFIX, subject_role_of
from actions.routage.offer import route_offer
from knowledge.annuaire import request_for
from knowledge.loader import KnowledgeBase, get_knowledge
from knowledge.messages import message
from knowledge.partenaires import get_partners
from knowledge.schema import Entry

DEFINITION = "definition"
PATH = "path"
#: Stopping one's engagement: offer to withdraw the registration rather than to register.
STOPPING = "parcours.arreter"


def next_step_buttons(tracker: Tracker, entry: Entry) -> list[dict[str, str]]:
    """After a path answer: find the right role, or register (or withdraw); not inside a form."""
    if not entry.id.startswith(PATH_PREFIX) or tracker.active_loop_name:
        return []
    labels = get_partners().buttons
    if entry.id == STOPPING:
        return [{"title": labels.withdraw, "payload": "/retrait_inscription"}]
    return [
        {"title": labels.orientation, "payload": "/orientation"},
        {"title": labels.inscrire, "payload": "/inscription_partenaire"},
    ]


def utter_entry(dispatcher: CollectingDispatcher, tracker: Tracker, entry: Entry) -> None:
    """Say ``entry``: its short answer for staff, its full answer for patients."""
    if wants_short_answer(tracker):
        text = message("answer_short", answer=entry.short, sources=entry.source_line())
    else:
        text = message("answer_long", answer=entry.long, sources=entry.source_line())
    dispatcher.utter_message(text=text, buttons=next_step_buttons(tracker, entry))


def answer_events(kb: KnowledgeBase, entry: Entry) -> list[EventType]:
    """The topic, and what a follow-up ("et comment on le devient ?") refers to."""
    events: list[EventType] = [SlotSet("topic", entry.id)]
    subject = subject_role_of(kb, entry)
    if subject is not None:
        kind = PATH if entry.id.startswith(PATH_PREFIX) else DEFINITION
        events += [SlotSet("subject_role", subject), SlotSet("answer_kind", kind)]
    return events


def answer(dispatcher: CollectingDispatcher, tracker: Tracker, entry: Entry) -> list[EventType]:
    """Say ``entry``; if a form was interrupted by the question, it then asks its question again.

    A topic that signals a request (a complaint, the medical record…) is followed,
    outside a form, by who handles it and the offer to transmit it.
    """
    utter_entry(dispatcher, tracker, entry)
    events = answer_events(get_knowledge(), entry)
    request_id = request_for(topic=entry.id)
    if request_id is not None and not tracker.active_loop_name:
        events += route_offer(dispatcher, request_id)
    return events + resume_form(tracker)


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
            dispatcher.utter_message(text=message("fallback"))
            return [SlotSet("topic", None), *resume_form(tracker)]
        return answer(dispatcher, tracker, entry)
