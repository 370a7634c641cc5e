"""``action_compare_roles``: two roles side by side, built from their profiles."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.forms import resume_form
from actions.knowledge.answer import answer
from actions.knowledge.roles import mentioned_roles
from knowledge.loader import get_knowledge
from knowledge.messages import message
from knowledge.schema import Entry

CRITERIA = ("who", "what", "where", "training", "recognition")
RU_PP = {"role.representant_usagers", "role.patient_partenaire"}
RU_PP_ENTRY = "compare.ru_patient_partenaire"
GENERIC_ENTRY = "compare.roles"


def comparison_text(left: Entry, right: Entry) -> str:
    assert left.profile is not None and right.profile is not None
    lines = [message("compare_intro", left=left.title, right=right.title)]
    for criterion in CRITERIA:
        lines.append(
            message(
                "compare_row",
                criterion=message(f"profile_{criterion}"),
                left_title=left.title,
                left=getattr(left.profile, criterion),
                right_title=right.title,
                right=getattr(right.profile, criterion),
            )
        )
    sources = " ; ".join(dict.fromkeys(s.cite() for s in (*left.sources, *right.sources)))
    return message("answer_long", answer="\n".join(lines), sources=sources)


class ActionCompareRoles(Action):
    def name(self) -> str:
        return "action_compare_roles"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kb = get_knowledge()
        pair = mentioned_roles(tracker, kb)[:2]
        if len(pair) == 2 and {e.id for e in pair} == RU_PP and (entry := kb.get(RU_PP_ENTRY)):
            return answer(dispatcher, tracker, entry)
        if len(pair) == 2 and all(e.profile is not None for e in pair):
            dispatcher.utter_message(text=comparison_text(*pair))
            return [SlotSet("topic", GENERIC_ENTRY), *resume_form(tracker)]
        generic = kb.get(GENERIC_ENTRY)
        if generic is not None:
            return answer(dispatcher, tracker, generic)
        dispatcher.utter_message(text=message("compare_need_two_roles"))
        return [SlotSet("topic", None), *resume_form(tracker)]
