"""``action_orientation_result``: one or two roles for the orientation answers, why, and their paths."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.partenaires.form_kit import FAILURES_SLOT, OUTCOME_SLOT
from knowledge.loader import get_knowledge
from knowledge.partenaires import Orientation, Rule, get_partners


def recommend(orientation: Orientation, answers: Mapping[str, Any]) -> Rule | None:
    """The first rule whose conditions all hold for ``answers``."""
    for rule in orientation.rules:
        if all(answers.get(question) in values for question, values in rule.when.items()):
            return rule
    return None


def result_text(rule: Rule) -> str:
    partners = get_partners()
    orientation = partners.orientation
    kb = get_knowledge()
    lines = [orientation.result_intro, rule.why]
    for role_id in rule.roles:
        role = kb.get(role_id)
        if role is None or role.profile is None:
            continue
        lines.append(orientation.role_line.format(title=role.title, what=role.profile.what))
        path = kb.get(role.profile.path) if role.profile.path else None
        lines.append(orientation.path_line.format(path=path.short if path else role.profile.training))
    lines.append(orientation.sources)
    lines.append(orientation.result_outro)
    return "\n".join(lines)


class ActionOrientationResult(Action):
    def name(self) -> str:
        return "action_orientation_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        partners = get_partners()
        orientation = partners.orientation
        reset: list[EventType] = [SlotSet(slot, None) for slot in orientation.questions]
        reset += [SlotSet(FAILURES_SLOT, None), SlotSet(OUTCOME_SLOT, None)]
        answers = {slot: tracker.get_slot(slot) for slot in orientation.questions}
        rule = recommend(orientation, answers)
        if tracker.get_slot(OUTCOME_SLOT) or rule is None:
            dispatcher.utter_message(text=orientation.cancelled)
            return reset
        kb = get_knowledge()
        buttons = [{"title": partners.buttons.inscrire, "payload": "/inscription_partenaire"}]
        for role_id in rule.roles:
            role = kb.get(role_id)
            if role is not None:
                buttons.append({"title": role.title, "payload": f"/{role.intent}"})
        dispatcher.utter_message(text=result_text(rule), buttons=buttons)
        return [*reset, SlotSet("topic", rule.roles[0])]
