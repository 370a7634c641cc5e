"""The assistant's messages as WhatsApp Cloud API messages (pure functions, no I/O).

* a message without buttons: ``text`` messages of at most 4,096 characters;
* with 1 to 3 buttons: an ``interactive`` ``button`` message (titles: 20 characters);
* with 4 to 10: an ``interactive`` ``list`` (one section, rows titled in 24 characters,
  the full title as the row's description when it was cut);
* with more: lists of 10, the later ones under ``whatsapp_more_choices``.

An interactive message's body holds 1,024 characters: a longer text is sent first,
in plain messages cut between words, and its end goes with the buttons.  A button's
id is its payload (``/intent{...}``), which WhatsApp sends back when it is chosen.
The French labels come from ``knowledge/messages.yml``.
"""

from __future__ import annotations

from typing import Any

from knowledge.messages import message
from server.api.schemas import Button, ChatMessage, ChatResponse

TEXT_MAX = 4096
BODY_MAX = 1024
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
LIST_BUTTON_MAX = 20
ELLIPSIS = "…"


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at a line break or a space when there is one."""
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]  # a cut just before a space keeps the whole word
        cut = window.rfind("\n")
        if cut <= limit // 2:  # a paragraph's end, unless it leaves a short piece: then a word's end
            cut = max(cut, window.rfind(" "), window.rfind("\t"))
        if cut <= 0:
            cut = limit  # one word longer than the limit: cut inside it
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def shorten(title: str, limit: int) -> str:
    """``title`` in ``limit`` characters at most, ending with "…" when it was cut."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    return title[: limit - 1].rstrip() + ELLIPSIS


def _reply_id(button: Button, limit: int) -> str:
    # A payload too long to travel as an id (never seen in this bot's domain) goes as its title:
    # the engine then reads what the person chose as text.
    payload = button.payload if button.payload else button.title
    return payload if len(payload) <= limit else button.title[:limit]


def text_message(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"preview_url": False, "body": body}}


def buttons_message(body: str, buttons: list[Button]) -> dict[str, Any]:
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {
                        "type": "reply",
                        "reply": {"id": _reply_id(b, BUTTON_ID_MAX), "title": shorten(b.title, BUTTON_TITLE_MAX)},
                    }
                    for b in buttons
                ]
            },
        },
    }


def _row(button: Button) -> dict[str, Any]:
    row = {"id": _reply_id(button, ROW_ID_MAX), "title": shorten(button.title, ROW_TITLE_MAX)}
    if row["title"] != " ".join(button.title.split()):
        row["description"] = shorten(button.title, ROW_DESCRIPTION_MAX)
    return row


def list_message(body: str, buttons: list[Button]) -> dict[str, Any]:
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {
                "button": shorten(message("whatsapp_list_button"), LIST_BUTTON_MAX),
                "sections": [{"rows": [_row(b) for b in buttons]}],
            },
        },
    }


def choices_message(body: str, buttons: list[Button]) -> dict[str, Any]:
    """Up to 3 buttons as reply buttons, up to 10 as a list."""
    if len(buttons) > ROWS_MAX:
        raise ValueError(f"at most {ROWS_MAX} choices in one message")
    return buttons_message(body, buttons) if len(buttons) <= BUTTONS_MAX else list_message(body, buttons)


def _distinct(buttons: list[Button]) -> list[Button]:
    """WhatsApp refuses two choices with the same id in one message: the first one is kept."""
    seen: set[str] = set()
    kept: list[Button] = []
    for button in buttons:
        if not button.title.strip():
            continue
        key = _reply_id(button, ROW_ID_MAX)
        if key not in seen:
            seen.add(key)
            kept.append(button)
    return kept


def render_message(chat_message: ChatMessage) -> list[dict[str, Any]]:
    """One assistant message as WhatsApp messages (usually one)."""
    buttons = _distinct(chat_message.buttons)
    if not buttons:
        return [text_message(piece) for piece in split_text(chat_message.text, TEXT_MAX)]
    pieces = split_text(chat_message.text, TEXT_MAX)
    last = split_text(pieces.pop(), BODY_MAX) if pieces else []
    pieces += last
    body = pieces.pop() if pieces else message("whatsapp_more_choices")
    out = [text_message(piece) for piece in pieces]
    groups = [buttons[i : i + ROWS_MAX] for i in range(0, len(buttons), ROWS_MAX)]
    out.append(choices_message(body, groups[0]))
    out.extend(choices_message(message("whatsapp_more_choices"), group) for group in groups[1:])
    return out


def render(response: ChatResponse) -> list[dict[str, Any]]:
    """A turn's answer as the WhatsApp messages to send, in order (without the recipient)."""
    return [out for chat_message in response.messages for out in render_message(chat_message)]
