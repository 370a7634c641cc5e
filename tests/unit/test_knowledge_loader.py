from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.loader import KnowledgeError, load_knowledge
from knowledge.schema import intent_for

GOOD = """
entries:
  - id: role.exemple
    title: Exemple
    short: Une définition courte.
    long: Une réponse complète pour les patients.
    sources:
      - label: Code de la santé publique
        reference: art. L1111-6
    reviewed: 2026-11-23
    related: [role.autre]
    aliases: [ex]
  - id: role.autre
    title: Autre
    short: Courte.
    long: Longue.
    sources:
      - label: France Assos Santé, 2023
        reference: Les différentes formes d'engagement
    reviewed: 2026-11-23
"""


def write(tmp_path: Path, text: str, name: str = "topics.yml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_shipped_content_loads_and_answers_the_base_topics() -> None:
    kb = load_knowledge()
    for entry_id in ("role.patient_partenaire", "droit.personne_confiance", "service.cdu", "bot.capacites"):
        entry = kb.get(entry_id)
        assert entry is not None, entry_id
        assert entry.sources and entry.short and entry.long
        assert kb.for_intent(intent_for(entry_id)) is entry


def test_a_valid_file_loads(tmp_path: Path) -> None:
    kb = load_knowledge(write(tmp_path, GOOD))
    assert len(kb) == 2
    assert kb.for_intent("role_exemple").title == "Exemple"  # type: ignore[union-attr]
    assert kb.get("role.exemple").source_line() == "Code de la santé publique, art. L1111-6"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (GOOD.replace("    short: Une définition courte.\n", ""), "'role.exemple', field 'short': Field required"),
        (GOOD.replace("short: Une définition courte.", "short: '  '"), "'role.exemple', field 'short'"),
        (GOOD.replace("title: Autre", "title: ''"), "'role.autre', field 'title'"),
        (
            GOOD.replace(
                "    sources:\n      - label: Code de la santé publique\n        reference: art. L1111-6\n",
                "    sources: []\n",
            ),
            "'role.exemple', field 'sources'",
        ),
        (GOOD.replace("reference: art. L1111-6", "reference: ''"), "field 'sources.0.reference'"),
        (
            GOOD.replace("related: [role.autre]", "related: [role.inconnu]"),
            "field 'related': unknown id 'role.inconnu'",
        ),
        (GOOD.replace("reviewed: 2026-11-23", "reviewed: bientôt", 1), "field 'reviewed'"),
        (GOOD.replace("id: role.autre", "id: Role Autre"), "field 'id'"),
        (GOOD.replace("aliases: [ex]", "aliases: [ex]\n    colour: blue"), "field 'colour': Extra inputs"),
        (GOOD.replace("id: role.autre", "id: role.exemple"), "field 'id': already defined"),
        ("entries: [", "cannot be read as YAML"),
        ("entries: []", "field 'entries'"),
    ],
)
def test_a_broken_file_is_rejected_naming_file_and_field(tmp_path: Path, broken: str, expected: str) -> None:
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(write(tmp_path, broken))
    assert "topics.yml" in str(error.value)
    assert expected in str(error.value)


def test_an_empty_directory_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="no knowledge file"):
        load_knowledge(tmp_path)


def test_an_id_defined_in_two_files_names_both(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yml")
    write(tmp_path, GOOD.replace("id: role.autre", "id: role.troisieme").replace("[role.autre]", "[]"), "b.yml")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(tmp_path)
    assert "b.yml" in str(error.value) and "a.yml" in str(error.value)
