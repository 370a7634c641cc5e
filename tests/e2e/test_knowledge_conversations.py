"""Conversations through POST /api/chat on the real model: follow-ups, comparisons,
clarification, emergency, out-of-scope questions and feedback."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from evaluation.stack import Stack
from knowledge.loader import get_knowledge
from knowledge.messages import message

pytestmark = pytest.mark.e2e


def long_answer(entry_id: str) -> str:
    entry = get_knowledge().get(entry_id)
    assert entry is not None
    return entry.long


def test_follow_ups_keep_the_role_and_the_kind_of_answer(stack: Stack) -> None:
    with httpx.Client(timeout=60) as client:
        first = stack.chat(client, "c'est quoi un pair-aidant ?")
        sid = first["session_id"]
        assert first["topic"] == "role.pair_aidant"

        path = stack.chat(client, "et comment on le devient ?", sid)
        assert path["topic"] == "parcours.devenir_pair_aidant"
        assert path["messages"][0]["text"].startswith(long_answer("parcours.devenir_pair_aidant"))

        other = stack.chat(client, "et pour un patient expert ?", sid)
        assert other["topic"] == "parcours.devenir_patient_expert"

        definition = stack.chat(client, "qu'est-ce qu'un patient ressource ?", sid)
        assert definition["topic"] == "role.patient_ressource"
        same_kind = stack.chat(client, "et le RU alors ?", sid)
        assert same_kind["topic"] == "role.representant_usagers"


def test_comparisons(stack: Stack) -> None:
    with httpx.Client(timeout=60) as client:
        table = stack.chat(client, "quelle différence entre un représentant des usagers et un patient partenaire ?")
        assert table["topic"] == "compare.ru_patient_partenaire"
        built = stack.chat(client, "différence entre un patient expert et un pair aidant ?")
        assert built["topic"] == "compare.roles"
        text = built["messages"][0]["text"]
        for role in ("role.patient_expert", "role.pair_aidant"):
            entry = get_knowledge().get(role)
            assert entry is not None and entry.title in text
        assert message("profile_training") in text
        # Typos in the roles' names: the SpellingCorrector mends them for the entity extractor too.
        typos = stack.chat(client, "c quoi la difference entre un patient expret et un pair aidnat")
        assert typos["topic"] == "compare.roles"
        for role in ("role.patient_expert", "role.pair_aidant"):
            entry = get_knowledge().get(role)
            assert entry is not None and entry.title in typos["messages"][0]["text"]


#: Messages that name several themes at once, so that the classifier is rarely sure of one.
VAGUE = (
    "patient",
    "usagers",
    "formation",
    "droits",
    "association",
    "hôpital",
    "partenariat",
    "information",
    "aide svp",
)


def test_gibberish_gets_no_invented_answer_but_a_way_forward(stack: Stack) -> None:
    with httpx.Client(timeout=60) as client:
        body = stack.chat(client, "xqzw plorf brtz")
    # Clarification, fallback or the out-of-scope refusal: never a knowledge answer.
    assert body["topic"] in (None, "hors_sujet")
    [reply] = body["messages"]
    if body["topic"] == "hors_sujet":
        assert reply["text"].startswith(long_answer("hors_sujet"))
    elif reply["buttons"]:
        assert reply["text"] == message("clarify")
        assert len(reply["buttons"]) <= 4
        assert reply["buttons"][-1] == {"title": message("clarify_other"), "payload": "/bot_capacites"}
    else:
        assert reply["text"] == message("fallback")


def test_a_vague_message_is_clarified_and_a_button_answers_its_topic(stack: Stack) -> None:
    with httpx.Client(timeout=60) as client:
        for text in VAGUE:
            first = stack.chat(client, text)
            reply = first["messages"][0]
            if first["topic"] is None and reply["text"] == message("clarify"):
                break
        else:
            pytest.fail(f"none of {VAGUE} was clarified")
        assert 2 <= len(reply["buttons"]) <= 4
        assert reply["buttons"][-1] == {"title": message("clarify_other"), "payload": "/bot_capacites"}
        offered = reply["buttons"][0]
        chosen = stack.chat(client, offered["payload"], first["session_id"])
    entry = get_knowledge().for_intent(offered["payload"].removeprefix("/"))
    assert entry is not None
    assert chosen["topic"] == entry.id


def test_an_emergency_gets_the_numbers_at_once_and_the_conversation_goes_on(stack: Stack) -> None:
    with httpx.Client(timeout=60) as client:
        first = stack.chat(client, "c'est quoi la personne de confiance ?")
        sid = first["session_id"]
        urgent = stack.chat(client, "j'ai envie d'en finir, je ne veux plus vivre", sid)
        assert urgent["topic"] == "urgence.suicide"
        text = urgent["messages"][0]["text"]
        assert all(number in text for number in ("15", "112", "114", "3114"))
        after = stack.chat(client, "et les directives anticipées ?", sid)
        assert after["session_id"] == sid
        assert after["topic"] == "droit.directives_anticipees"


def test_medical_advice_is_refused_with_who_to_ask(stack: Stack) -> None:
    with httpx.Client(timeout=60) as client:
        body = stack.chat(client, "quelle dose de paracétamol je peux donner à mon fils de 8 ans ?")
    assert body["topic"] == "hors_sujet"
    # The safety net may put an emergency's numbers first (a child and a medicine): the refusal follows.
    text = "\n".join(m["text"] for m in body["messages"])
    # 116 117 (on-call care) is not checked for this territory: the refusal does not give it.
    assert "116 117" not in text and "médecin" in text


def test_an_answer_can_be_rated_and_the_rating_is_stored(stack: Stack) -> None:
    with httpx.Client(timeout=60) as client:
        answer = stack.chat(client, "c'est quoi un patient chercheur ?")
        assert answer["topic"] == "role.patient_chercheur"
        rated = client.post(
            f"{stack.url}/api/feedback",
            json={
                "session_id": answer["session_id"],
                "topic": answer["topic"],
                "useful": False,
                "message": answer["messages"][0]["text"],
            },
        )
    assert rated.status_code == 201
    with sqlite3.connect(stack.app_db) as db:
        rows = db.execute(
            "SELECT topic, useful FROM feedback WHERE session_id = ?", (answer["session_id"],)
        ).fetchall()
    assert rows == [("role.patient_chercheur", 0)]
