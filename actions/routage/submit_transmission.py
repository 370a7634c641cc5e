"""``action_submit_transmission``: store the confirmed request as a ticket and queue its e-mail."""

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
from actions.partenaires.form_kit import CANCELLED, DECLINED, FAILURES_SLOT, OUTCOME_SLOT
from actions.partenaires.parsing import new_reference
from actions.routage.offer import ROUTE_RU, ROUTE_SERVICE, ROUTE_TICKET
from actions.routage.validate_transmission import (
    CONFIRMATION,
    CONSENT,
    CONSENT_AT,
    CONTACT,
    DESCRIPTION,
    FIELDS,
    FORM,
    KEY,
    RU,
    TRANSCRIPT,
    TYPE,
)
from contract import ActionName, Effect, Slot
from knowledge.annuaire import get_directory, get_representatives
from store.engine import transaction
from store.models import Ticket
from store.tickets import Mail, TicketData, save_ticket

logger = logging.getLogger(__name__)

TICKET_PREFIX = "TK-"


def new_ticket_reference() -> str:
    return new_reference(TICKET_PREFIX)


def transcript_of(tracker: Tracker) -> str:
    """The conversation's user and bot messages, in order, as plain text."""
    texts = get_directory().messages
    lines = []
    for event in tracker.events:
        text = event.get("text")
        if not text:
            continue
        if event.get("event") == "user":
            lines.append(f"{texts.transcript_user} : {text}")
        elif event.get("event") == "bot":
            lines.append(f"{texts.transcript_bot} : {text}")
    return "\n".join(lines)


def mail_for(reference: str, ticket: Ticket) -> Mail:
    directory = get_directory()
    texts = directory.messages
    request = directory.requests[ticket.request_type]
    ru = next((r for r in get_representatives().representants if r.id == ticket.ru), None)
    body = texts.mail_body.format(
        reference=reference,
        label=request.label,
        ru=f"{ru.label}, {ru.association}" if ru else texts.mail_no_ru,
        contact=ticket.contact,
        created_at=ticket.consent_at.isoformat(timespec="minutes"),
        description=ticket.description,
        transcript=ticket.transcript or texts.mail_no_transcript,
    )
    subject = texts.mail_subject.format(label=request.label, reference=reference)
    return Mail(to=str(directory.services[ticket.service].tickets_to), subject=subject, body=body)


def reset() -> list[EventType]:
    return [SlotSet(slot, None) for slot in (*FIELDS, CONSENT_AT, KEY, FAILURES_SLOT, OUTCOME_SLOT)]


class ActionSubmitTransmission(Action):
    def name(self) -> str:
        return ActionName.SUBMIT_TRANSMISSION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        # Saved, cancelled or declined: the front door counts one submission (contract.Effect).
        events, saved = await self._submit(dispatcher, tracker)
        effects = [Effect.TICKET_CREATED, Effect.SUBMISSION] if saved else [Effect.SUBMISSION]
        return [*events, SlotSet(Slot.EFFECTS, effects)]

    async def _submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> tuple[list[EventType], bool]:
        directory = get_directory()
        texts = directory.messages
        outcome = tracker.get_slot(OUTCOME_SLOT)
        if outcome == DECLINED or tracker.get_slot(CONSENT) is False:
            dispatcher.utter_message(text=texts.declined)
            return reset(), False
        if outcome == CANCELLED or tracker.get_slot(CONFIRMATION) is not True:
            dispatcher.utter_message(text=texts.cancelled)
            return reset(), False
        request_id = str(tracker.get_slot(TYPE))
        service_id = str(tracker.get_slot(ROUTE_SERVICE) or directory.requests[request_id].service)
        data = TicketData(
            request_type=request_id,
            service=service_id,
            ru=tracker.get_slot(RU) or None,
            description=str(tracker.get_slot(DESCRIPTION)),
            contact=str(tracker.get_slot(CONTACT)),
            transcript=transcript_of(tracker) if tracker.get_slot(TRANSCRIPT) else None,
            consent_at=dt.datetime.fromisoformat(str(tracker.get_slot(CONSENT_AT))),
        )
        channel = str(message_metadata(tracker).get("channel") or "api")[:32]
        try:
            async with transaction(get_sessions()) as db:
                reference, _ = await save_ticket(
                    db,
                    data,
                    idempotency_key=str(tracker.get_slot(KEY)),
                    session_id=tracker.sender_id,
                    channel=channel,
                    new_reference=new_ticket_reference,
                    mail_for=mail_for,
                )
        except SQLAlchemyError as exc:
            logger.error("transmission: saving failed (%s)", type(exc).__name__)
            dispatcher.utter_message(text=texts.save_failed)
            return [SlotSet(CONFIRMATION, None), FollowupAction(FORM)], False
        service = directory.services[service_id]
        text = texts.saved.format(name=service.name, reference=reference, response_time=service.response_time)
        after_saved = directory.requests[request_id].after_saved
        if after_saved:
            text = f"{text}\n{after_saved}"
        guarantees = directory.requests[request_id].guarantees
        if guarantees:
            text = f"{text}\n{texts.guarantees.format(guarantees=guarantees)}"
        dispatcher.utter_message(text=text)
        return [
            *reset(),
            SlotSet(ROUTE_SERVICE, service_id),
            SlotSet(ROUTE_TICKET, reference),
            SlotSet(ROUTE_RU, data.ru),
        ], True
