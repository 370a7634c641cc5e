"""The contract between the processes: the names that cross their boundaries, and one turn's state.

Imported by the engine (Python 3.10, Rasa: ``bot/``), the action server and the
front door (Python 3.11: ``actions/``, ``server/``), and by the evaluation: so it
uses the standard library only, and Python 3.10 syntax.  The domain
(``bot/domain/*.yml``) declares the same names for Rasa; a test checks that each
one here is declared there.

The front door never guesses from names what happened in a turn: the actions
say it, as *effects* (``Effect``), in the slot ``effects``; the engine's channel
returns them in :class:`TurnState`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


class Intent:
    """Intents the other processes act on."""

    #: A message that signals an emergency: its numbers are said in any state.
    EMERGENCY = "urgence"
    #: A message the understanding was not sure about (kept among the unanswered questions).
    FALLBACK = "nlu_fallback"


#: Invisible prefix (word joiner, U+2060) the front door puts before typed text that starts
#: with "/", so that the engine never reads it as a button's payload ("/intent{...}").  Such a
#: text is never an answer to a form's question either (the actions check it).
TYPED_SLASH = "\u2060"


def is_typed_slash(text: str) -> bool:
    """True for a typed text that looked like a payload (see ``TYPED_SLASH``)."""
    return text.startswith(TYPED_SLASH)


class Form:
    INSCRIPTION = "inscription_partenaire"
    TRANSMISSION = "transmission_demande"
    RETRAIT = "retrait_inscription"
    ORIENTATION = "orientation"


class Slot:
    TOPIC = "topic"
    REQUESTED_SLOT = "requested_slot"
    ROUTE_SERVICE = "route_service"
    ROUTE_TICKET = "route_ticket"
    ROUTE_RU = "route_ru"
    #: The summary question of each form that saves (see ``SUMMARY_SLOTS``).
    CONFIRMATION = "confirmation"
    CONFIRMATION_TRANSMISSION = "confirmation_transmission"
    #: What the turn's actions did, for the front door (a list of ``Effect`` values).
    EFFECTS = "effects"


class ActionName:
    SUBMIT_INSCRIPTION = "action_submit_inscription"
    SUBMIT_TRANSMISSION = "action_submit_transmission"
    SUBMIT_RETRAIT = "action_submit_retrait"


class Effect:
    """What an action did that the front door must follow up."""

    #: A registration was erased and its conversations queued for erasure: run the queue.
    REGISTRATION_WITHDRAWN = "registration_withdrawn"
    #: A ticket was stored with its e-mail in the outbox: send it now.
    TICKET_CREATED = "ticket_created"
    #: A form's submit action ran (saved, cancelled or declined): one submission is counted.
    SUBMISSION = "submission"


#: Forms that save, and the slot of their summary: the answer to it may save the form.
SUMMARY_SLOTS: dict[str, str] = {
    Form.INSCRIPTION: Slot.CONFIRMATION,
    Form.TRANSMISSION: Slot.CONFIRMATION_TRANSMISSION,
}


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, (list, tuple)) else []


def _text(value: Any) -> str | None:
    return str(value) if value else None


@dataclass
class TurnState:
    """What happened in one user turn, as the engine's channel reports it.

    ``slots_set``: the slots set during the turn; ``slots``: all of them after it;
    ``active_loop``: the form running after the turn, ``form_at_start`` the one
    the user's message answered; ``requested_slot``: the form's question;
    ``actions``: the actions that ran (for diagnostics and statistics only);
    ``intent``: the user message's intent; ``effects``: see ``Effect``; ``emergency``: the
    emergency guard's decision on the message (``{"intent", "category", "level", "source"}``);
    ``tracker_store``: the engine's tracker-store status.
    """

    slots_set: dict[str, Any] = field(default_factory=dict)
    slots: dict[str, Any] = field(default_factory=dict)
    active_loop: str | None = None
    form_at_start: str | None = None
    requested_slot: str | None = None
    actions: list[str] = field(default_factory=list)
    intent: str | None = None
    effects: list[str] = field(default_factory=list)
    emergency: dict[str, Any] | None = None
    tracker_store: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, raw: Any) -> TurnState:
        """Read the channel's JSON; anything missing or malformed is taken as empty."""
        data = _dict(raw)
        store = data.get("tracker_store")
        return cls(
            slots_set=_dict(data.get("slots_set")),
            slots=_dict(data.get("slots")),
            active_loop=_text(data.get("active_loop")),
            form_at_start=_text(data.get("form_at_start")),
            requested_slot=_text(data.get("requested_slot")),
            actions=_strings(data.get("actions")),
            intent=_text(data.get("intent")),
            effects=_strings(data.get("effects")),
            emergency=_dict(data.get("emergency")) if isinstance(data.get("emergency"), Mapping) else None,
            tracker_store=_dict(store) if isinstance(store, Mapping) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def in_form(self) -> bool:
        """A form was running when the user wrote, or is after the turn."""
        return bool(self.form_at_start or self.active_loop)

    def did(self, effect: str) -> bool:
        return effect in self.effects

    def at_summary(self) -> bool:
        """The turn left a form at its summary: the next message may save it."""
        return bool(self.active_loop) and SUMMARY_SLOTS.get(self.active_loop or "") == self.requested_slot
