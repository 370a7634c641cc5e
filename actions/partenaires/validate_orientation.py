"""``validate_orientation``: the four orientation answers, by button or in words."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.partenaires.form_kit import CHOICE_ENTITY, FormValidator, Said
from actions.partenaires.parsing import parse_choice
from contract import Form
from knowledge.partenaires import FieldText, Option, get_partners


class ValidateOrientation(FormValidator):
    form = Form.ORIENTATION

    def fields(self) -> list[str]:
        return list(get_partners().orientation.questions)

    def field_text(self, slot: str) -> FieldText:
        question = get_partners().orientation.questions[slot]
        return FieldText(ask=question.ask, invalid=question.invalid)

    def options(self, slot: str) -> list[Option]:
        return list(get_partners().orientation.questions[slot].options)

    async def parse(
        self, slot: str, message: Said, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> list[EventType] | None:
        if slot not in self.fields():
            return None
        value = parse_choice(message.text, self.options(slot), message.entities.get(CHOICE_ENTITY, []))
        return [SlotSet(slot, value)] if value else None
