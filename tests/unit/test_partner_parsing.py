"""The checks applied to registration answers, and the orientation mapping."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.partenaires.orientation_result import recommend, result_text
from actions.partenaires.parsing import (
    REFERENCE_ALPHABET,
    looks_like_question,
    matches_phrase,
    new_reference,
    parse_choice,
    parse_choices,
    parse_email,
    parse_name,
    parse_phone,
    parse_reference,
)
from knowledge.loader import KnowledgeError, get_knowledge
from knowledge.partenaires import PARTNERS_FILE, get_partners, load_partners


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Marie", "Marie"),
        ("  Jean - Pierre ", "Jean-Pierre"),
        ("N’Diaye", "N'Diaye"),
        ("de La  Fontaine", "de La Fontaine"),
        ("Zoé", "Zoé"),
        ("", None),
        ("R2D2", None),
        ("<script>alert(1)</script>", None),
        ("'; DROP TABLE registrations; --", None),
        ("Marie 😊", None),
        ("Jean--Pierre", None),
        ("a" * 51, None),
    ],
)
def test_names(text: str, expected: str | None) -> None:
    assert parse_name(text, 50) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("marie.dupont@example.org", "marie.dupont@example.org"),
        ("Marie.Dupont@EXAMPLE.ORG", "Marie.Dupont@example.org"),
        ("mon mail c'est jp.martin@laposte.net", "jp.martin@laposte.net"),
        ("marie.dupont@", None),
        ("marie@example", None),
        ("a@b@example.org", None),
        ("deux@example.org et trois@example.org", None),
        ("<b>x@example.org</b>", "x@example.org"),  # the address, never the markup
        ("pas d'adresse", None),
    ],
)
def test_emails(text: str, expected: str | None) -> None:
    assert parse_email(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("03 83 00 00 00", "+33383000000"),
        ("mon portable : 0612345678", "+33612345678"),
        ("12345", None),
        ("06 12 34", None),
        ("pas de téléphone", None),
    ],
)
def test_phones(text: str, expected: str | None) -> None:
    assert parse_phone(text) == expected


def test_references_are_unguessable_and_read_back() -> None:
    references = {new_reference() for _ in range(1000)}
    assert len(references) == 1000
    for reference in references:
        assert reference.startswith("PP-") and len(reference) == 13
        assert set(reference[3:]) <= set(REFERENCE_ALPHABET)
    assert parse_reference("ma référence : pp-7k3m9qx2vd merci") == "PP-7K3M9QX2VD"
    assert parse_reference("PP 7K3M9QX2VD") == "PP-7K3M9QX2VD"
    assert parse_reference("PP-123") is None


def test_choices() -> None:
    choices = get_partners().registration.choices
    assert parse_choice("Les deux", choices["profil"]) == "les_deux"
    assert parse_choice("je suis aidante de ma mère", choices["profil"]) == "proche_aidant"
    assert parse_choice("n'importe quoi", choices["profil"]) is None
    assert parse_choice("", choices["profil"], chosen=["patient"]) == "patient"
    assert parse_choice("", choices["profil"], chosen=["inconnu"]) is None
    assert parse_choices("recherche, et qualité des soins", choices["domaines"]) == [
        "recherche",
        "qualite_organisation",
    ]
    assert parse_choices("rien", choices["domaines"]) == []


def test_stop_and_question_markers() -> None:
    words = get_partners().words
    assert matches_phrase("STOP !", words.stop)
    assert matches_phrase("Je ne veux plus.", words.stop)
    assert not matches_phrase("Stéphanie", words.stop)
    assert looks_like_question("c'est quoi un patient ressource", words.question)
    assert looks_like_question("Une question ?", words.question)
    assert not looks_like_question("Quentin", words.question)
    assert not looks_like_question("le mardi après-midi", words.question)


def test_every_orientation_answer_gets_one_or_two_roles_with_their_paths() -> None:
    orientation = get_partners().orientation
    questions = orientation.questions
    kb = get_knowledge()
    for values in itertools.product(*[[o.value for o in q.options] for q in questions.values()]):
        answers = dict(zip(questions, values, strict=True))
        rule = recommend(orientation, answers)
        assert rule is not None, answers
        assert 1 <= len(rule.roles) <= 2
        text = result_text(rule)
        for role in rule.roles:
            entry = kb.get(role)
            assert entry is not None and entry.title in text


@pytest.mark.parametrize(
    ("answers", "roles"),
    [
        (
            {
                "orient_vecu": "patient",
                "orient_souhait": "accompagner",
                "orient_temps": "regulier",
                "orient_etp": "oui",
            },
            ["role.patient_expert", "role.pair_aidant"],
        ),
        (
            {"orient_vecu": "proche", "orient_souhait": "accompagner", "orient_temps": "regulier", "orient_etp": "non"},
            ["role.proche_aidant", "role.pair_aidant"],
        ),
        (
            {"orient_vecu": "patient", "orient_souhait": "recherche", "orient_temps": "ponctuel", "orient_etp": "non"},
            ["role.patient_chercheur"],
        ),
        (
            {
                "orient_vecu": "les_deux",
                "orient_souhait": "representer",
                "orient_temps": "important",
                "orient_etp": "non",
            },
            ["role.representant_usagers"],
        ),
        (
            {"orient_vecu": "patient", "orient_souhait": "qualite", "orient_temps": "ponctuel", "orient_etp": "non"},
            ["role.patient_partenaire"],
        ),
    ],
)
def test_orientation_examples(answers: dict[str, str], roles: list[str]) -> None:
    rule = recommend(get_partners().orientation, answers)
    assert rule is not None and rule.roles == roles


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["orientation"]["rules"][0].update(roles=["role.inconnu"]), "role.inconnu"),
        (lambda d: d["orientation"]["rules"][0]["when"].update(orient_temps=["jamais"]), "jamais"),
        (lambda d: d["registration"]["fields"].pop("email"), "email"),
        (lambda d: d["registration"]["notice"].update(text=""), "notice.text"),
        (lambda d: d["registration"]["next_steps_buttons"][0].update(payload="/nimporte_quoi"), "/nimporte_quoi"),
    ],
)
def test_a_broken_partner_file_names_the_fault(tmp_path: Path, change: Any, named: str) -> None:
    data = yaml.safe_load(PARTNERS_FILE.read_text(encoding="utf-8"))
    change(data)
    broken = tmp_path / "partenaires.yml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=re.escape(named)):
        load_partners(broken)
