"""``action_ask_<slot>``: the questions of the partner forms, with their buttons.

One small class per question, all built on :class:`AskQuestion`; the words are
in ``knowledge/partenaires.yml``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common.templates import template
from actions.partenaires.form_kit import (
    FAILURES_SLOT,
    buttons_for,
    failures,
    said,
    stop_buttons,
    yes_no_buttons,
    yes_or_no,
)
from actions.partenaires.summary import summary_text
from actions.partenaires.validate_inscription import change_buttons
from knowledge.partenaires import FieldText, Option, get_partners

Buttons = list[dict[str, str]]


@template
class AskQuestion(Action):
    slot: ClassVar[str] = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        raise NotImplementedError

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text, buttons = self.question(tracker)
        if text:
            dispatcher.utter_message(text=text, buttons=buttons)
        return []


def field_question(field: FieldText, options: list[Option], stop: Buttons) -> tuple[str, Buttons]:
    """The question, its choices, "Passer" if optional and ``stop`` (see ``stop_buttons``)."""
    buttons = buttons_for(options)
    if field.optional:
        buttons.append({"title": get_partners().buttons.skip, "payload": "/passer"})
    return field.ask, buttons + stop


@template
class AskRegistrationField(AskQuestion):
    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        registration = get_partners().registration
        options = list(registration.choices.get(self.slot, []))
        return field_question(registration.fields[self.slot], options, stop_buttons(tracker, self.slot))


class AskConsent(AskQuestion):
    slot = "consentement"

    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        notice = get_partners().registration.notice
        # After an unclear answer, only the question: the notice was just shown.
        return (notice.question if failures(tracker).get(self.slot) else notice.text), yes_no_buttons()


class AskPrenom(AskRegistrationField):
    slot = "prenom"


class AskNom(AskRegistrationField):
    slot = "nom"


class AskEmail(AskRegistrationField):
    slot = "email"


class AskExistingReference(AskRegistrationField):
    slot = "reference_existante"

    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        text, _ = super().question(tracker)
        other = {"title": get_partners().buttons.other_email, "payload": '/corriger{"champ":"email"}'}
        return text, [other]


class AskTelephone(AskRegistrationField):
    slot = "telephone"


class AskProfil(AskRegistrationField):
    slot = "profil"


class AskDomaines(AskRegistrationField):
    slot = "domaines"


class AskExperience(AskRegistrationField):
    slot = "experience"


class AskDisponibilites(AskRegistrationField):
    slot = "disponibilites"


class AskConfirmation(AskQuestion):
    slot = "confirmation"

    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        if yes_or_no(said(tracker)) is False and not tracker.get_slot(FAILURES_SLOT):
            return "", []  # "non": the validator just asked what to change
        confirm = {"title": get_partners().registration.confirm_button, "payload": "/affirm"}
        return summary_text(tracker), [confirm, *change_buttons()]


@template
class AskWithdrawalField(AskQuestion):
    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        return field_question(get_partners().withdrawal.fields[self.slot], [], stop_buttons(tracker, self.slot))


class AskRetraitReference(AskWithdrawalField):
    slot = "retrait_reference"


class AskRetraitEmail(AskWithdrawalField):
    slot = "retrait_email"


@template
class AskOrientation(AskQuestion):
    def question(self, tracker: Tracker) -> tuple[str, Buttons]:
        orientation = get_partners().orientation
        question = orientation.questions[self.slot]
        text = question.ask
        if self.slot == next(iter(orientation.questions)) and not tracker.get_slot(FAILURES_SLOT):
            text = f"{orientation.intro}\n{text}"
        return text, buttons_for(list(question.options)) + stop_buttons(tracker, self.slot)


class AskOrientVecu(AskOrientation):
    slot = "orient_vecu"


class AskOrientSouhait(AskOrientation):
    slot = "orient_souhait"


class AskOrientTemps(AskOrientation):
    slot = "orient_temps"


class AskOrientEtp(AskOrientation):
    slot = "orient_etp"
