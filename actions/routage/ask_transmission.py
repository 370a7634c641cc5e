"""``action_ask_<slot>`` for the transmission form: its questions and their buttons."""

from __future__ import annotations

from typing import ClassVar

from rasa_sdk import Tracker

from actions.common.templates import template
from actions.partenaires.ask import AskQuestion, Buttons
from actions.partenaires.form_kit import buttons_for, stop_buttons, yes_no_buttons
from actions.routage.offer import ROUTE_SERVICE
from actions.routage.validate_transmission import (
    CONFIRMATION,
    CONSENT,
    CONTACT,
    DESCRIPTION,
    RU,
    SITE,
    THEME,
    TRANSCRIPT,
    TYPE,
    change_buttons,
    request_options,
    ru_options,
    site_options,
    theme_options,
)
from knowledge.annuaire import get_directory
from knowledge.partenaires import get_partners


def service_name(tracker: Tracker) -> str:
    services = get_directory().services
    service = services.get(str(tracker.get_slot(ROUTE_SERVICE)))
    return service.name if service else ""


@template
class AskTransmission(AskQuestion):
    def stop_button(self, tracker: Tracker) -> Buttons:
        return stop_buttons(tracker, self.slot)


class AskDemandeType(AskTransmission):
    slot: ClassVar[str] = TYPE

    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        return get_directory().messages.which_request, buttons_for(request_options()) + self.stop_button(tracker)


class AskRuSite(AskTransmission):
    slot: ClassVar[str] = SITE

    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        return get_directory().messages.ask_site, buttons_for(site_options()) + self.stop_button(tracker)


class AskRuTheme(AskTransmission):
    slot: ClassVar[str] = THEME

    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        return get_directory().messages.ask_theme, buttons_for(theme_options()) + self.stop_button(tracker)


class AskRuChoisi(AskTransmission):
    slot: ClassVar[str] = RU

    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        options = ru_options(tracker.current_slot_values())
        return get_directory().messages.ask_ru, buttons_for(options) + self.stop_button(tracker)


class AskDescription(AskTransmission):
    slot: ClassVar[str] = DESCRIPTION

    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        return get_directory().messages.ask_description, self.stop_button(tracker)


class AskContact(AskTransmission):
    slot: ClassVar[str] = CONTACT

    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        return get_directory().messages.ask_contact, self.stop_button(tracker)


class AskConsentTransmission(AskTransmission):
    slot: ClassVar[str] = CONSENT

    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        return get_directory().messages.ask_consent.format(name=service_name(tracker)), yes_no_buttons()


class AskTranscription(AskTransmission):
    slot: ClassVar[str] = TRANSCRIPT

    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        return get_directory().messages.ask_transcript, yes_no_buttons()


class AskConfirmationTransmission(AskTransmission):
    slot: ClassVar[str] = CONFIRMATION

    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        texts = get_directory().messages
        text = texts.summary.format(
            name=service_name(tracker),
            description=tracker.get_slot(DESCRIPTION),
            contact=tracker.get_slot(CONTACT),
            transcript=texts.transcript_yes if tracker.get_slot(TRANSCRIPT) else texts.transcript_no,
        )
        confirm = {"title": get_partners().registration.confirm_button, "payload": "/affirm"}
        return text, [confirm, *change_buttons()]
