"""``action_submit_retrait``: erase the registration matching both the reference and the e-mail.

The same answer is given whether the reference, the e-mail or both are wrong:
it says nothing about whether a registration exists.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common.db import get_sessions
from actions.partenaires.form_kit import CANCELLED, FAILURES_SLOT, OUTCOME_SLOT
from contract import ActionName, Effect, Slot
from knowledge.partenaires import WITHDRAWAL_FIELDS, get_partners
from store.engine import transaction
from store.registrations import withdraw

logger = logging.getLogger(__name__)


class ActionSubmitRetrait(Action):
    def name(self) -> str:
        return ActionName.SUBMIT_RETRAIT

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        partners = get_partners()
        texts = partners.withdrawal
        reset: list[EventType] = [SlotSet(slot, None) for slot in (*WITHDRAWAL_FIELDS, FAILURES_SLOT, OUTCOME_SLOT)]
        reference = tracker.get_slot("retrait_reference")
        email = tracker.get_slot("retrait_email")
        if tracker.get_slot(OUTCOME_SLOT) == CANCELLED or not reference or not email:
            dispatcher.utter_message(text=texts.cancelled)
            return reset
        try:
            async with transaction(get_sessions()) as db:
                done = await withdraw(db, str(reference), str(email), tracker.sender_id, dt.date.today())
        except SQLAlchemyError as exc:
            logger.error("withdrawal: erasing failed (%s)", type(exc).__name__)  # never the parameters
            dispatcher.utter_message(text=texts.failed)
            return reset
        if done:
            dispatcher.utter_message(text=texts.done)
            # The front door erases the queued conversations once the engine has saved this turn.
            return [*reset, SlotSet(Slot.EFFECTS, [Effect.REGISTRATION_WITHDRAWN])]
        else:
            retry = {"title": partners.buttons.retry, "payload": "/retrait_inscription"}
            dispatcher.utter_message(text=texts.not_found, buttons=[retry])
        return reset
