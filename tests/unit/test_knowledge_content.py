"""Rules every shipped knowledge entry follows (README, « What the assistant knows »)."""

from __future__ import annotations

import re

import pytest

from contract.text import fold
from knowledge.loader import get_knowledge
from knowledge.schema import Entry

#: A staff definition is one or two sentences of at most this many words.
SHORT_MAX_WORDS = 60


def entries() -> list[Entry]:
    return list(get_knowledge())


def ids() -> list[str]:
    return [entry.id for entry in entries()]


def words(text: str) -> int:
    return len(text.split())


def test_the_word_count_splits_on_whitespace() -> None:
    assert words("Une  définition\ncourte (CSP, art. L1111-7).") == 6


@pytest.mark.parametrize("entry", entries(), ids=ids())
def test_short_is_at_most_60_words(entry: Entry) -> None:
    count = words(entry.short)
    assert count <= SHORT_MAX_WORDS, f"{entry.id}: short has {count} words (at most {SHORT_MAX_WORDS})"


@pytest.mark.parametrize("entry", entries(), ids=ids())
def test_answers_have_no_blank_line(entry: Entry) -> None:
    assert "\n\n" not in entry.long and "\n\n" not in entry.short


def _fold(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


def test_no_alias_is_shared_by_two_entries() -> None:
    owners: dict[str, set[str]] = {}
    for entry in entries():
        for alias in entry.aliases:
            owners.setdefault(_fold(alias), set()).add(entry.id)
    shared = {alias: sorted(owner) for alias, owner in owners.items() if len(owner) > 1}
    assert shared == {}


def test_the_legal_corrections_stay_in() -> None:
    kb = get_knowledge()

    def long_of(entry_id: str) -> str:
        entry = kb.get(entry_id)
        assert entry is not None, entry_id
        return " ".join(entry.long.split())

    assert "son concubin ou son partenaire de PACS" in long_of("droit.vie_privee_secret")
    assert "héritiers" not in long_of("droit.vie_privee_secret")
    assert "déclarés à l'agence régionale de santé" in long_of("engagement.etp")
    assert "2 mois" in long_of("droit.dossier_medical") and "demande officielle" in long_of("droit.dossier_medical")
    assert "appelez le 15" in long_of("droit.douleur")
    assert "hors d'état d'exprimer votre volonté" in long_of("droit.directives_anticipees")
    assert "représentant des usagers" in long_of("droit.mediation")
