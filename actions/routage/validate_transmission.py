"""``validate_transmission_demande``: the request type, the RU when needed, then description, contact and consent."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.partenaires.form_kit import (
    CHOICE_ENTITY,
    FormValidator,
    Said,
    confirmation_events,
    consent_events,
    yes_or_no,
)
from actions.partenaires.parsing import parse_email, parse_free_text, parse_phone
from actions.routage.offer import ROUTE_REQUEST, ROUTE_RU, ROUTE_SERVICE, capitalised
from contract import Form, Slot
from knowledge.annuaire import NO_MATCH_SERVICE, RU_REQUEST, get_directory, get_representatives, request_for
from knowledge.loader import get_knowledge
from knowledge.partenaires import FieldText, Option

FORM = Form.TRANSMISSION
TYPE = "demande_type"
SITE = "ru_site"
THEME = "ru_theme"
RU = "ru_choisi"
DESCRIPTION = "description"
CONTACT = "contact"
CONSENT = "consentement_transmission"
CONSENT_AT = "transmission_horodatage"
TRANSCRIPT = "transcription"
CONFIRMATION = Slot.CONFIRMATION_TRANSMISSION
KEY = "transmission_cle"
FIELDS = (TYPE, SITE, THEME, RU, DESCRIPTION, CONTACT, CONSENT, TRANSCRIPT, CONFIRMATION)
#: A question not needed for this request holds this value.
NOT_NEEDED = ""
DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 2000
#: Sent by "Je ne sais pas" / "Autre sujet": any site, any theme.
ANY = "indifferent"


def request_options() -> list[Option]:
    return [
        Option(value=request_id, label=capitalised(request.label), words=[request_id])
        for request_id, request in get_directory().requests.items()
    ]


def site_options() -> list[Option]:
    representatives = get_representatives()
    texts = get_directory().messages
    options = [Option(value=key, label=label, words=[key]) for key, label in representatives.sites.items()]
    return [*options, Option(value=ANY, label=texts.any_site, words=["sais pas", "aucune idee"])]


def theme_options() -> list[Option]:
    representatives = get_representatives()
    texts = get_directory().messages
    options = [Option(value=key, label=label, words=[key]) for key, label in representatives.themes.items()]
    return [*options, Option(value=ANY, label=texts.any_theme, words=["autre"])]


def candidates(slots: dict[str, Any]) -> list[Any]:
    site = slots.get(SITE) or None
    theme = slots.get(THEME) or None
    return get_representatives().matching(None if site == ANY else site, None if theme == ANY else theme)


def ru_options(slots: dict[str, Any]) -> list[Option]:
    line = get_directory().messages.ru_line
    return [
        Option(value=ru.id, label=line.format(label=ru.label, association=ru.association), words=[ru.id])
        for ru in candidates(slots)
    ]


class ValidateTransmissionDemande(FormValidator):
    form = FORM
    free_text = frozenset({DESCRIPTION})
    dependants: ClassVar[dict[str, tuple[str, ...]]] = {TYPE: (SITE, THEME, RU)}

    def fields(self) -> list[str]:
        return list(FIELDS)

    def field_text(self, slot: str) -> FieldText:
        texts = get_directory().messages
        table = {
            TYPE: (texts.which_request, texts.which_request),
            SITE: (texts.ask_site, texts.ask_site),
            THEME: (texts.ask_theme, texts.ask_theme),
            RU: (texts.ask_ru, texts.ask_ru),
            DESCRIPTION: (texts.ask_description, texts.invalid_description),
            CONTACT: (texts.ask_contact, texts.invalid_contact),
            CONSENT: (texts.ask_consent, texts.invalid_consent),
            TRANSCRIPT: (texts.ask_transcript, texts.invalid_transcript),
            CONFIRMATION: (texts.summary, texts.invalid_confirmation),
        }
        ask, invalid = table[slot]
        return FieldText(ask=ask, invalid=invalid)

    def on_start(self, tracker: Tracker) -> list[EventType]:
        events: list[EventType] = []
        if not tracker.get_slot(KEY):
            events.append(SlotSet(KEY, f"{tracker.sender_id}:{secrets.token_hex(8)}"))
        if tracker.get_slot(TYPE) is None and tracker.get_slot(ROUTE_REQUEST) in get_directory().requests:
            events.append(SlotSet(TYPE, tracker.get_slot(ROUTE_REQUEST)))
        return events

    def after_correction(self) -> list[EventType]:
        return [SlotSet(CONFIRMATION, None)]

    def complete(self, slots: dict[str, Any], dispatcher: CollectingDispatcher) -> list[EventType]:
        """Ask for the site, the theme and the RU only when they narrow the choice."""
        events: list[EventType] = []
        request_id = slots.get(TYPE)
        if request_id is None:
            return events
        if request_id != RU_REQUEST:
            return [SlotSet(s, NOT_NEEDED) for s in (SITE, THEME, RU) if slots.get(s) is None]
        representatives = get_representatives().representants
        if slots.get(SITE) is None:
            if len({site for ru in representatives for site in ru.sites}) > 1:
                return events
            slots[SITE] = NOT_NEEDED
            events.append(SlotSet(SITE, NOT_NEEDED))
        if slots.get(THEME) is None:
            remaining = candidates(slots)
            if len(remaining) > 1 and len({theme for ru in remaining for theme in ru.themes}) > 1:
                return events
            slots[THEME] = NOT_NEEDED
            events.append(SlotSet(THEME, NOT_NEEDED))
        if slots.get(RU) is None:
            remaining = candidates(slots)
            if not remaining:
                dispatcher.utter_message(text=get_directory().messages.no_ru)
                events += [SlotSet(RU, NOT_NEEDED), SlotSet(ROUTE_SERVICE, NO_MATCH_SERVICE), SlotSet(ROUTE_RU, None)]
            elif len(remaining) == 1:
                texts = get_directory().messages
                ru = texts.ru_line.format(label=remaining[0].label, association=remaining[0].association)
                dispatcher.utter_message(text=texts.one_ru.format(ru=ru))
                events += [SlotSet(RU, remaining[0].id), SlotSet(ROUTE_RU, remaining[0].id)]
        return events

    async def parse(
        self, slot: str, message: Said, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> list[EventType] | None:
        chosen = message.entities.get(CHOICE_ENTITY, [])
        if slot == TYPE:
            value = next((c for c in chosen if c in get_directory().requests), None)
            if value is None and message.confidence >= 0.5:
                entry = get_knowledge().for_intent(message.intent)
                value = request_for(topic=entry.id if entry else None, intent=message.intent)
            if value is None:
                return None
            return [
                SlotSet(TYPE, value),
                SlotSet(ROUTE_REQUEST, value),
                SlotSet(ROUTE_SERVICE, get_directory().requests[value].service),
            ]
        if slot in (SITE, THEME, RU):
            options = {SITE: site_options, THEME: theme_options}.get(slot)
            allowed = [o.value for o in (options() if options else ru_options(tracker.current_slot_values()))]
            value = next((c for c in chosen if c in allowed), None)
            if value is None:
                return None
            events: list[EventType] = [SlotSet(slot, value)]
            if slot == RU:
                events.append(SlotSet(ROUTE_RU, value))
            return events
        if slot == DESCRIPTION:
            value = parse_free_text(message.text, DESCRIPTION_MAX)
            return [SlotSet(slot, value)] if value and len(value) >= DESCRIPTION_MIN else None
        if slot == CONTACT:
            value = parse_email(message.text) or parse_phone(message.text)
            return [SlotSet(slot, value)] if value else None
        if slot == CONSENT:
            return consent_events(message, CONSENT, CONSENT_AT)
        if slot == TRANSCRIPT:
            answer = yes_or_no(message)
            return None if answer is None else [SlotSet(TRANSCRIPT, answer)]
        if slot == CONFIRMATION:
            texts = get_directory().messages
            return confirmation_events(message, CONFIRMATION, dispatcher, texts.invalid_confirmation, change_buttons())
        return None


def change_buttons() -> list[dict[str, str]]:
    texts = get_directory().messages
    return [
        {"title": texts.change_description, "payload": f'/corriger{{"champ":"{DESCRIPTION}"}}'},
        {"title": texts.change_contact, "payload": f'/corriger{{"champ":"{CONTACT}"}}'},
    ]
