"""The rules every partner form follows, whatever its questions.

- "stop", "annuler", "je ne veux plus": leave the form, save nothing.
- An emergency or a question about a knowledge topic asked in the middle is
  not taken as an answer: the form is rejected, the dialogue answers, then the
  form asks its question again (see ``actions.common.forms.resume_form``).
- "changer l'email" (or its button) empties that answer so it is asked again.
- An optional question can be skipped.
- An answer that does not fit gets a French message saying what is expected;
  after three, the person is offered to skip (optional) or to stop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.templates import template
from actions.partenaires.parsing import looks_like_question, matches_phrase
from contract import Intent, Slot, is_typed_slash
from knowledge.loader import get_knowledge
from knowledge.partenaires import FieldText, Option, get_partners

REQUESTED_SLOT = Slot.REQUESTED_SLOT
#: Wrong answers in a row, per question: ``{"email": 2}``.
FAILURES_SLOT = "form_echecs"
#: How a form ended without its normal outcome: "annule" (stopped) or "refus" (no consent).
OUTCOME_SLOT = "form_issue"
CANCELLED = "annule"
DECLINED = "refus"
#: A skipped optional question holds this value (stored as nothing).
SKIPPED = ""
MAX_TRIES = 3
#: Below this confidence an intent is not trusted to mean "stop" or "a question".
MIN_CONFIDENCE = 0.5
#: "oui" and "non" in other words than the listed phrases must be this sure.
SURE = 0.8
EMERGENCY = Intent.EMERGENCY
#: Questions answered in the middle of a form besides the knowledge topics.
OTHER_QUESTIONS = frozenset({"compare_roles", EMERGENCY})
#: Entity set by the choice buttons (``/informer{"choix": "patient"}``) and by "changer l'email".
CHOICE_ENTITY = "choix"
FIELD_ENTITY = "champ"


@dataclass(frozen=True)
class Said:
    """The user's latest message, as the engine understood it."""

    text: str
    intent: str | None
    confidence: float
    entities: dict[str, list[str]] = field(default_factory=dict)

    def is_intent(self, name: str) -> bool:
        return self.intent == name and self.confidence >= MIN_CONFIDENCE


def said(tracker: Tracker) -> Said:
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    entities: dict[str, list[str]] = {}
    for entity in latest.get("entities") or []:
        if isinstance(entity, dict) and isinstance(entity.get("value"), str):
            entities.setdefault(str(entity.get("entity")), []).append(entity["value"])
    return Said(
        text=str(latest.get("text") or ""),
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        entities=entities,
    )


def is_emergency(message: Said) -> bool:
    """``urgence`` or one of its categories (``urgence_suicide``…, forced by EmergencyGuard)."""
    return bool(message.intent) and (message.intent == EMERGENCY or str(message.intent).startswith(EMERGENCY + "_"))


def is_question(message: Said) -> bool:
    """A question about a topic the assistant answers, asked instead of an answer."""
    if is_emergency(message):
        return True
    if message.confidence < MIN_CONFIDENCE:
        return False
    return message.intent in OTHER_QUESTIONS or get_knowledge().for_intent(message.intent) is not None


def buttons_for(options: list[Option]) -> list[dict[str, str]]:
    return [{"title": o.label, "payload": f'/informer{{"{CHOICE_ENTITY}":"{o.value}"}}'} for o in options]


def failures(tracker: Tracker) -> dict[str, int]:
    value = tracker.get_slot(FAILURES_SLOT)
    return dict(value) if isinstance(value, dict) else {}


def too_many_tries(tracker: Tracker, slot: str) -> bool:
    return failures(tracker).get(slot, 0) >= MAX_TRIES


def stop_buttons(tracker: Tracker, slot: str) -> list[dict[str, str]]:
    """« Arrêter », offered with a question after three answers that did not fit."""
    if too_many_tries(tracker, slot):
        return [{"title": get_partners().buttons.stop, "payload": "/annuler"}]
    return []


def yes_no_buttons() -> list[dict[str, str]]:
    labels = get_partners().buttons
    return [{"title": labels.oui, "payload": "/affirm"}, {"title": labels.non, "payload": "/deny"}]


def yes_or_no(message: Said) -> bool | None:
    """A clear yes or no: a button, one of the listed phrases, or a sure intent.

    Consent and confirmation are never read from a hesitant answer ("ouais bof"), nor from a
    typed text that imitates a button's payload ("/affirm{...}"): only the button itself counts.
    """
    if is_typed_slash(message.text):
        return None
    words = get_partners().words
    if matches_phrase(message.text, words.oui) or (message.intent == "affirm" and message.confidence >= SURE):
        return True
    if matches_phrase(message.text, words.non) or (message.intent == "deny" and message.confidence >= SURE):
        return False
    return None


def confirmation_events(
    message: Said, slot: str, dispatcher: CollectingDispatcher, which_change: str, buttons: list[dict[str, str]]
) -> list[EventType] | None:
    """ "oui" confirms the summary; "non" asks what to change, with a button per answer."""
    answer = yes_or_no(message)
    if answer is True:
        return [SlotSet(slot, True)]
    if answer is False:
        dispatcher.utter_message(text=which_change, buttons=buttons)
        return [SlotSet(slot, None)]
    return None


def consent_events(message: Said, consent_slot: str, at_slot: str) -> list[EventType] | None:
    """Explicit consent, stored with its time; a refusal ends the form, saving nothing."""
    answer = yes_or_no(message)
    if answer is True:
        return [SlotSet(consent_slot, True), SlotSet(at_slot, dt.datetime.now(dt.UTC).isoformat())]
    if answer is False:
        return [SlotSet(consent_slot, False), SlotSet(OUTCOME_SLOT, DECLINED), SlotSet(REQUESTED_SLOT, None)]
    return None


@template
class FormValidator(Action):
    """``validate_<form>``: read the answer to the requested question, or say why it does not fit."""

    form: ClassVar[str] = ""
    #: Questions answered in free words: a question there is recognised before parsing.
    free_text: ClassVar[frozenset[str]] = frozenset()
    #: Slots emptied with a corrected field (``{"email": ("reference_existante",)}``).
    dependants: ClassVar[dict[str, tuple[str, ...]]] = {}

    def name(self) -> str:
        return f"validate_{self.form}"

    def field_text(self, slot: str) -> FieldText:
        raise NotImplementedError

    def options(self, slot: str) -> list[Option]:
        """The choices of a closed question (none for a free one)."""
        return []

    def fields(self) -> list[str]:
        raise NotImplementedError

    def on_start(self, tracker: Tracker) -> list[EventType]:
        """Events set when the form starts (before its first question)."""
        return []

    async def parse(
        self, slot: str, message: Said, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> list[EventType] | None:
        """The events that fill ``slot`` from ``message``, or None when it does not fit."""
        raise NotImplementedError

    def correction(self, message: Said, tracker: Tracker) -> list[EventType]:
        """ "changer l'email": empty an answer already given, so that it is asked again."""
        if not message.is_intent("corriger") and FIELD_ENTITY not in message.entities:
            return []
        for name in message.entities.get(FIELD_ENTITY, []):
            if name in self.fields() and tracker.get_slot(name) is not None:
                events: list[EventType] = [SlotSet(name, None), SlotSet(FAILURES_SLOT, {})]
                events += [SlotSet(dependant, None) for dependant in self.dependants.get(name, [])]
                return events + self.after_correction()
        return []

    def after_correction(self) -> list[EventType]:
        return []

    def invalid(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> list[EventType]:
        counts = failures(tracker)
        counts[slot] = counts.get(slot, 0) + 1
        text = self.field_text(slot)
        dispatcher.utter_message(text=text.invalid)
        if counts[slot] >= MAX_TRIES:
            # The question that follows carries the "Passer" (optional) and "Arrêter" buttons.
            registration = get_partners().registration
            tries = registration.too_many_tries_optional if text.optional else registration.too_many_tries_required
            dispatcher.utter_message(text=tries)
        return [SlotSet(slot, None), SlotSet(FAILURES_SLOT, counts)]

    def complete(self, slots: dict[str, Any], dispatcher: CollectingDispatcher) -> list[EventType]:
        """Events that fill the questions not needed given ``slots`` (the answers so far)."""
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        events = await self.validate(dispatcher, tracker)
        ending = any(e.get("name") == REQUESTED_SLOT and e.get("value") is None for e in events)
        if tracker.get_slot(REQUESTED_SLOT) is not None and (not events or ending):
            return events  # rejected (a question was asked), or the form is ending
        answers = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
        return events + self.complete({**tracker.current_slot_values(), **answers}, dispatcher)

    async def validate(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        events = self.on_start(tracker)
        slot = tracker.get_slot(REQUESTED_SLOT)
        if slot is None:  # the form is starting: nothing has been asked yet
            return events
        message = said(tracker)
        words = get_partners().words
        if message.is_intent("annuler") or matches_phrase(message.text, words.stop):
            return [SlotSet(OUTCOME_SLOT, CANCELLED), SlotSet(REQUESTED_SLOT, None)]
        if is_emergency(message):
            return []  # rejected: the emergency answer comes first, then this question again
        corrected = self.correction(message, tracker)
        if corrected:
            return events + corrected
        text = self.field_text(slot) if slot in self.fields() else None
        skipping = message.is_intent("passer") or matches_phrase(message.text, words.skip)
        if text is not None and text.optional and skipping:
            return [*events, SlotSet(slot, SKIPPED), SlotSet(FAILURES_SLOT, {})]
        if slot in self.free_text and is_question(message) and looks_like_question(message.text, words.question):
            return []  # a question, not an answer: answered, then the form resumes
        parsed = await self.parse(slot, message, tracker, dispatcher)
        if parsed is not None:
            return events + parsed + [SlotSet(FAILURES_SLOT, {})]
        if is_question(message) and looks_like_question(message.text, words.question):
            return []
        return events + self.invalid(dispatcher, tracker, slot)
