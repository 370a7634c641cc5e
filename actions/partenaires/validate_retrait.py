"""``validate_retrait_inscription``: the reference and the e-mail of the registration to withdraw."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.partenaires.form_kit import FormValidator, Said
from actions.partenaires.parsing import parse_email, parse_reference
from contract import Form
from knowledge.partenaires import WITHDRAWAL_FIELDS, FieldText, get_partners


class ValidateRetraitInscription(FormValidator):
    form = Form.RETRAIT

    def fields(self) -> list[str]:
        return list(WITHDRAWAL_FIELDS)

    def field_text(self, slot: str) -> FieldText:
        return get_partners().withdrawal.fields[slot]

    async def parse(
        self, slot: str, message: Said, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> list[EventType] | None:
        value = parse_reference(message.text) if slot == "retrait_reference" else parse_email(message.text)
        return [SlotSet(slot, value)] if value else None
