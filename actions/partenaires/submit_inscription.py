"""``action_submit_inscription``: when the registration form ends, save what was confirmed, or nothing."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common.db import get_sessions
from actions.common.mode import message_metadata
from actions.partenaires.form_kit import CANCELLED, DECLINED, FAILURES_SLOT, OUTCOME_SLOT, SKIPPED
from actions.partenaires.parsing import new_reference
from actions.partenaires.validate_inscription import CONFIRMATION, CONSENT, CONSENT_AT, EXISTING, FORM, KEY
from contract import ActionName, Effect, Slot
from knowledge.partenaires import REGISTRATION_FIELDS, get_partners
from store.engine import transaction
from store.registrations import RegistrationData, save_registration

logger = logging.getLogger(__name__)

FORM_SLOTS = (CONSENT, CONSENT_AT, *REGISTRATION_FIELDS, CONFIRMATION, KEY, FAILURES_SLOT, OUTCOME_SLOT)


def optional(value: Any) -> str | None:
    return None if value in (None, SKIPPED) else str(value)


def confirmed_data(tracker: Tracker) -> RegistrationData:
    """Exactly what the summary showed."""
    consent_at = dt.datetime.fromisoformat(str(tracker.get_slot(CONSENT_AT)))
    return RegistrationData(
        prenom=str(tracker.get_slot("prenom")),
        nom=str(tracker.get_slot("nom")),
        email=str(tracker.get_slot("email")),
        telephone=optional(tracker.get_slot("telephone")),
        profil=str(tracker.get_slot("profil")),
        domaines=list(tracker.get_slot("domaines") or []),
        experience=optional(tracker.get_slot("experience")),
        disponibilites=optional(tracker.get_slot("disponibilites")),
        consent_at=consent_at,
        consent_notice_version=get_partners().registration.notice.version,
    )


def reset() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


class ActionSubmitInscription(Action):
    def name(self) -> str:
        return ActionName.SUBMIT_INSCRIPTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        # Saved, cancelled or declined: the front door counts one submission (contract.Effect).
        return [*await self._submit(dispatcher, tracker), SlotSet(Slot.EFFECTS, [Effect.SUBMISSION])]

    async def _submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        registration = get_partners().registration
        outcome = tracker.get_slot(OUTCOME_SLOT)
        if outcome == DECLINED or tracker.get_slot(CONSENT) is False:
            dispatcher.utter_message(text=registration.declined)
            return reset()
        if outcome == CANCELLED or tracker.get_slot(CONFIRMATION) is not True:
            dispatcher.utter_message(text=registration.cancelled)
            return reset()

        data = confirmed_data(tracker)
        channel = str(message_metadata(tracker).get("channel") or "api")[:32]
        try:
            async with transaction(get_sessions()) as db:
                result = await save_registration(
                    db,
                    data,
                    idempotency_key=str(tracker.get_slot(KEY)),
                    sender_id=tracker.sender_id,
                    channel=channel,
                    new_reference=new_reference,
                    update_reference=tracker.get_slot(EXISTING) or None,
                )
        except SQLAlchemyError as exc:
            # The exception's text would carry the SQL parameters, i.e. the answers: only its type is logged.
            logger.error("registration: saving failed (%s)", type(exc).__name__)
            dispatcher.utter_message(text=registration.save_failed)
            return [SlotSet(CONFIRMATION, None), FollowupAction(FORM)]

        if result.outcome in ("duplicate_email", "unknown_reference"):
            # Registered meanwhile (or the proof no longer holds): prove it is theirs, or change the address.
            return [SlotSet(EXISTING, None), SlotSet(CONFIRMATION, None), FollowupAction(FORM)]
        template = registration.updated if result.outcome == "updated" else registration.saved
        dispatcher.utter_message(text=template.format(prenom=data.prenom, reference=result.reference))
        buttons = [b.model_dump() for b in registration.next_steps_buttons]
        dispatcher.utter_message(text=registration.next_steps, buttons=buttons)
        return [*reset(), SlotSet(Slot.TOPIC, None)]
