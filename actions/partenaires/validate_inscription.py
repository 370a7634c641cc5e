"""``validate_inscription_partenaire``: consent, then each answer of the registration form."""

from __future__ import annotations

import secrets
from typing import ClassVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.db import get_sessions
from actions.partenaires.form_kit import (
    CHOICE_ENTITY,
    FAILURES_SLOT,
    FormValidator,
    Said,
    confirmation_events,
    consent_events,
)
from actions.partenaires.parsing import (
    parse_choice,
    parse_choices,
    parse_email,
    parse_free_text,
    parse_name,
    parse_phone,
    parse_reference,
)
from contract import Form, Slot
from knowledge.partenaires import REGISTRATION_FIELDS, FieldText, Option, get_partners
from store.registrations import find_by_email, reference_matches_email

FORM = Form.INSCRIPTION
CONSENT = "consentement"
CONSENT_AT = "consentement_horodatage"
CONFIRMATION = Slot.CONFIRMATION
#: One per run of the form: the save is idempotent on it.
KEY = "inscription_cle"
EXISTING = "reference_existante"


class ValidateInscriptionPartenaire(FormValidator):
    form = FORM
    free_text = frozenset({"prenom", "nom", "experience", "disponibilites"})
    dependants: ClassVar[dict[str, tuple[str, ...]]] = {"email": (EXISTING,)}

    def fields(self) -> list[str]:
        return list(REGISTRATION_FIELDS)

    def field_text(self, slot: str) -> FieldText:
        registration = get_partners().registration
        if slot == CONSENT:
            return FieldText(ask=registration.notice.text, invalid=registration.notice.invalid)
        if slot == CONFIRMATION:
            return FieldText(ask=registration.summary_question, invalid=registration.confirm_invalid)
        return registration.fields[slot]

    def options(self, slot: str) -> list[Option]:
        return list(get_partners().registration.choices.get(slot, []))

    def on_start(self, tracker: Tracker) -> list[EventType]:
        if tracker.get_slot(KEY):
            return []
        return [SlotSet(KEY, f"{tracker.sender_id}:{secrets.token_hex(8)}")]

    def after_correction(self) -> list[EventType]:
        return [SlotSet(CONFIRMATION, None)]

    async def parse(
        self, slot: str, message: Said, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> list[EventType] | None:
        partners = get_partners()
        limits = partners.registration.limits
        text = message.text
        if slot == CONSENT:
            return consent_events(message, CONSENT, CONSENT_AT)
        if slot == CONFIRMATION:
            return confirmation_events(
                message, CONFIRMATION, dispatcher, partners.registration.which_change, change_buttons()
            )
        if slot in ("prenom", "nom"):
            name = parse_name(text, limits.name_max)
            return [SlotSet(slot, name)] if name else None
        if slot == "email":
            email = parse_email(text)
            if email is None:
                return None
            async with get_sessions()() as db:
                taken = await find_by_email(db, email) is not None
            return [SlotSet("email", email), SlotSet(EXISTING, None if taken else "")]
        if slot == EXISTING:
            reference = parse_reference(text)
            email = tracker.get_slot("email")
            if reference is None or not isinstance(email, str):
                return None
            async with get_sessions()() as db:
                matches = await reference_matches_email(db, reference, email)
            return [SlotSet(EXISTING, reference)] if matches else None
        if slot == "telephone":
            phone = parse_phone(text)
            return [SlotSet(slot, phone)] if phone else None
        chosen = message.entities.get(CHOICE_ENTITY, [])
        if slot == "profil":
            value = parse_choice(text, self.options(slot), chosen)
            return [SlotSet(slot, value)] if value else None
        if slot == "domaines":
            values = parse_choices(text, self.options(slot), chosen)
            return [SlotSet(slot, values)] if values else None
        if slot == "experience":
            value = parse_free_text(text, limits.experience_max)
            return [SlotSet(slot, value)] if value else None
        if slot == "disponibilites":
            value = parse_free_text(text, limits.disponibilites_max)
            return [SlotSet(slot, value)] if value else None
        return None


def change_buttons() -> list[dict[str, str]]:
    registration = get_partners().registration
    return [
        {
            "title": registration.change_button.format(label=registration.fields[name].label),
            "payload": f'/corriger{{"champ":"{name}"}}',
        }
        for name in REGISTRATION_FIELDS
        if name != EXISTING
    ]


__all__ = ["FAILURES_SLOT", "ValidateInscriptionPartenaire", "change_buttons"]
