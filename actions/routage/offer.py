"""Which service handles a request, what happens next, and the offer: contact details or transmission."""

from __future__ import annotations

from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from contract import Slot
from knowledge.annuaire import get_directory

ROUTE_SERVICE = Slot.ROUTE_SERVICE
ROUTE_REQUEST = "route_request"
ROUTE_TICKET = Slot.ROUTE_TICKET
ROUTE_RU = Slot.ROUTE_RU


def route_events(request_id: str, service: str | None = None) -> list[EventType]:
    """The route the chat API shows: ``{"service": id, "ticket": null}`` from now on."""
    request = get_directory().requests[request_id]
    return [
        SlotSet(ROUTE_REQUEST, request_id),
        SlotSet(ROUTE_SERVICE, service or request.service),
        SlotSet(ROUTE_TICKET, None),
        SlotSet(ROUTE_RU, None),
    ]


def route_offer(dispatcher: CollectingDispatcher, request_id: str) -> list[EventType]:
    """Say who handles the request and what happens, then offer the contact details or a transmission."""
    directory = get_directory()
    texts = directory.messages
    request = directory.requests[request_id]
    service = directory.services[request.service]
    lines = [texts.offer.format(name=service.name, label=request.label, next=request.next)]
    if request.guarantees:
        lines.append(texts.guarantees.format(guarantees=request.guarantees))
    lines.append(texts.offer_question)
    buttons = [
        {"title": texts.contacts_button, "payload": "/demander_coordonnees"},
        {"title": texts.transmit_button, "payload": "/transmettre_demande"},
    ]
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
    return route_events(request_id)


def contact_text(service_id: str) -> str:
    directory = get_directory()
    service = directory.services[service_id]
    contact = service.contact
    text = directory.messages.contact_card.format(
        name=service.name, email=contact.email, phone=contact.phone, address=contact.address, hours=contact.hours
    )
    if directory.example_values:
        text = f"{text}\n{directory.messages.example_note}"
    return text


def capitalised(label: str) -> str:
    return label[:1].upper() + label[1:]


def request_buttons(intent: str) -> list[dict[str, str]]:
    """One button per request type, for ``intent`` (contact details or transmission) with that type."""
    return [
        {"title": capitalised(request.label), "payload": f'/{intent}{{"demande_type":"{request_id}"}}'}
        for request_id, request in get_directory().requests.items()
    ]
