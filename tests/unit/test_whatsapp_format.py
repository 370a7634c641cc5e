"""The assistant's messages as WhatsApp messages: limits, buttons, lists, long texts (pure functions)."""

from __future__ import annotations

from typing import Any

import pytest

from knowledge.messages import message
from server.api.schemas import Button, ChatMessage, ChatResponse
from server.channels import SealError, is_forget_request, seal, unseal
from server.channels.whatsapp_format import (
    BODY_MAX,
    TEXT_MAX,
    render,
    render_message,
    shorten,
    split_text,
)


def buttons(n: int, title: str = "Choix") -> list[Button]:
    return [Button(title=f"{title} {i}", payload=f'/choisir{{"n":"{i}"}}') for i in range(n)]


def rows_of(out: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for section in out["interactive"]["action"]["sections"] for row in section["rows"]]


# --- cutting texts -----------------------------------------------------------------------------


def test_a_short_text_is_one_piece() -> None:
    assert split_text("  Bonjour !  ", 20) == ["Bonjour !"]
    assert split_text("", 20) == []


def test_a_long_text_is_cut_between_words() -> None:
    text = " ".join(f"mot{i}" for i in range(200))
    pieces = split_text(text, 50)
    assert all(len(p) <= 50 for p in pieces)
    assert " ".join(pieces) == text  # no word broken, none lost
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in pieces)


def test_a_paragraph_end_is_preferred_to_a_word_end() -> None:
    text = "a" * 30 + "\n" + "b " * 20
    assert split_text(text, 45)[0] == "a" * 30


def test_a_word_longer_than_the_limit_is_cut_inside() -> None:
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_a_cut_exactly_at_the_limit_keeps_the_word() -> None:
    assert split_text("abcde fghij", 5) == ["abcde", "fghij"]


def test_shorten_marks_a_cut_title() -> None:
    assert shorten("Oui", 20) == "Oui"
    assert shorten("Passer cette question", 20) == "Passer cette questi…"
    assert len(shorten("Passer cette question", 20)) == 20
    assert shorten("  deux   espaces ", 20) == "deux espaces"


# --- messages ----------------------------------------------------------------------------------


def test_a_message_without_buttons_is_text() -> None:
    assert render_message(ChatMessage(text="Bonjour !")) == [
        {"type": "text", "text": {"preview_url": False, "body": "Bonjour !"}}
    ]


def test_a_text_longer_than_4096_is_several_text_messages() -> None:
    text = ("Une phrase de réponse assez longue. " * 300).strip()
    out = render_message(ChatMessage(text=text))
    assert len(out) == 3 and all(m["type"] == "text" for m in out)
    assert all(len(m["text"]["body"]) <= TEXT_MAX for m in out)
    assert " ".join(m["text"]["body"] for m in out) == text


def test_up_to_three_buttons_are_reply_buttons() -> None:
    choice = [Button(title="Oui", payload="/affirm"), Button(title="Passer cette question", payload="/skip")]
    [out] = render_message(ChatMessage(text="Continuer ?", buttons=choice))
    assert out == {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Continuer ?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "/affirm", "title": "Oui"}},
                    {"type": "reply", "reply": {"id": "/skip", "title": "Passer cette questi…"}},
                ]
            },
        },
    }
    [out] = render_message(ChatMessage(text="Trois ?", buttons=buttons(3)))
    assert len(out["interactive"]["action"]["buttons"]) == 3


@pytest.mark.parametrize("count", [4, 7, 10])
def test_four_to_ten_buttons_are_one_list(count: int) -> None:
    [out] = render_message(ChatMessage(text="Quel domaine ?", buttons=buttons(count, "Formation des professionnels")))
    interactive = out["interactive"]
    assert interactive["type"] == "list"
    assert interactive["body"] == {"text": "Quel domaine ?"}
    assert interactive["action"]["button"] == message("whatsapp_list_button")
    assert len(interactive["action"]["sections"]) == 1
    rows = rows_of(out)
    assert [r["id"] for r in rows] == [b.payload for b in buttons(count)]
    assert all(len(r["title"]) <= 24 for r in rows)
    assert rows[0]["title"] == "Formation des professio…"
    assert rows[0]["description"] == "Formation des professionnels 0"  # the full title, shown under it


def test_a_row_whose_title_fits_has_no_description() -> None:
    [out] = render_message(ChatMessage(text="?", buttons=buttons(4)))
    assert "description" not in rows_of(out)[0]


def test_more_than_ten_buttons_are_split_in_lists_of_ten() -> None:
    out = render_message(ChatMessage(text="Choisissez :", buttons=buttons(23)))
    assert [m["interactive"]["type"] for m in out] == ["list", "list", "button"]
    assert out[0]["interactive"]["body"]["text"] == "Choisissez :"
    assert out[1]["interactive"]["body"]["text"] == message("whatsapp_more_choices")
    ids = [r["id"] for m in out[:2] for r in rows_of(m)] + [
        b["reply"]["id"] for b in out[2]["interactive"]["action"]["buttons"]
    ]
    assert ids == [b.payload for b in buttons(23)]


def test_a_long_text_with_buttons_puts_the_buttons_on_its_last_part() -> None:
    text = ("Voici ce que disent nos sources sur ce rôle. " * 60).strip()
    out = render_message(ChatMessage(text=text, buttons=buttons(2)))
    assert [m["type"] for m in out[:-1]] == ["text"] * (len(out) - 1) and len(out) >= 2
    last = out[-1]
    assert last["type"] == "interactive" and len(last["interactive"]["body"]["text"]) <= BODY_MAX
    parts = [m["text"]["body"] for m in out[:-1]] + [last["interactive"]["body"]["text"]]
    assert " ".join(parts) == text


def test_duplicate_and_empty_choices_are_dropped() -> None:
    choice = [
        Button(title="Oui", payload="/affirm"),
        Button(title="Oui !", payload="/affirm"),
        Button(title="  ", payload="/x"),
        Button(title="Non", payload="/deny"),
    ]
    [out] = render_message(ChatMessage(text="?", buttons=choice))
    assert [b["reply"]["id"] for b in out["interactive"]["action"]["buttons"]] == ["/affirm", "/deny"]


def test_a_payload_too_long_for_an_id_goes_as_the_title() -> None:
    long = Button(title="Oui", payload="/x" + "y" * 300)
    [out] = render_message(ChatMessage(text="?", buttons=[long]))
    assert out["interactive"]["action"]["buttons"][0]["reply"]["id"] == "Oui"


def test_a_turn_is_its_messages_in_order() -> None:
    response = ChatResponse(
        session_id="s",
        messages=[ChatMessage(text="Un."), ChatMessage(text="Deux ?", buttons=buttons(2))],
    )
    out = render(response)
    assert [m["type"] for m in out] == ["text", "interactive"]


# --- channel helpers: forget phrases, sealed values ------------------------------------------------


@pytest.mark.parametrize("text", ["STOP", "stop", "Stop.", "Supprimer mes données", "SUPPRIMER MES DONNEES !"])
def test_the_forget_phrases_ignore_case_accents_and_punctuation(text: str) -> None:
    assert is_forget_request(text)


@pytest.mark.parametrize("text", ["stopper", "je veux supprimer mes données et mon inscription", "", "arrête"])
def test_only_the_whole_message_is_a_forget_phrase(text: str) -> None:
    assert not is_forget_request(text)


def test_sealed_values_need_the_key() -> None:
    sealed = seal(b"key-1", "33612345678")
    assert "33612345678" not in sealed and sealed != seal(b"key-1", "33612345678")
    assert unseal(b"key-1", sealed) == "33612345678"
    assert unseal(b"k", seal(b"k", "é" * 100)) == "é" * 100
    with pytest.raises(SealError):
        unseal(b"key-2", sealed)
    with pytest.raises(SealError):
        unseal(b"key-1", sealed[:-4] + "AAAA")
