"""LexiconEntityExtractor (bot/components): closed-list entities learned from the data and knowledge files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.lexicon_entities import LexiconConfigError, LexiconEntityExtractor, fold_word
from bot.components.spelling import CORRECTED_SPANS

CONTEXT = ExecutionContext(GraphSchema({}), "test")
KNOWLEDGE = """
entries:
  - id: role.pair_aidant
    title: Pair-aidant
    aliases: [pair aidance, patient pair]
  - id: role.pair_aidant_familial
    title: Pair-aidant familial
  - id: role.representant_usagers
    title: Représentant des usagers (RU)
    aliases: [RU]
  - id: droit.information
    title: Droit à l'information
"""


def annotated(text: str, intent: str, *entities: tuple[str, str, str]) -> Message:
    """``entities``: (phrase in text, type, value)."""
    found = []
    for phrase, kind, value in entities:
        start = text.index(phrase)
        found.append({"start": start, "end": start + len(phrase), "entity": kind, "value": value})
    return Message.build(text=text, intent=intent, entities=found)


def training_data() -> TrainingData:
    return TrainingData(
        [
            annotated("c'est quoi un patient expert", "role", ("patient expert", "role", "patient_expert")),
            annotated("je veux changer mon email", "corriger", ("email", "champ", "email")),
            annotated("corriger mon numéro", "corriger", ("numéro", "champ", "numéro")),
        ],
        entity_synonyms={"numéro": "telephone", "portable": "telephone", "courriel": "email"},
    )


def trained(tmp_path: Path, **config: Any) -> tuple[LexiconEntityExtractor, LocalModelStorage, Resource]:
    (tmp_path / "roles.yml").write_text(KNOWLEDGE, encoding="utf-8")
    (tmp_path / "model").mkdir()
    storage, resource = LocalModelStorage(tmp_path / "model"), Resource("lexicon")
    full = {"knowledge": {"role": {"file": str(tmp_path / "roles.yml"), "prefix": "role."}}, **config}
    component = LexiconEntityExtractor.create(full, storage, resource, CONTEXT)
    component.train(training_data())
    return component, storage, resource


def entities(component: LexiconEntityExtractor, text: str, intent: str | None = None) -> list[tuple[str, str, str]]:
    message = Message.build(text=text)
    if intent:
        message.set("intent", {"name": intent, "confidence": 0.9})
    [message] = component.process([message])
    return [(text[e["start"] : e["end"]], e["entity"], e["value"]) for e in message.get("entities") or []]


def test_words_are_folded_for_case_accents_plural_and_feminine() -> None:
    assert fold_word("Patientes") == fold_word("patient") == "patient"
    assert fold_word("expertes") == fold_word("EXPERT")
    assert fold_word("Représentants") == fold_word("representant")
    assert fold_word("RU") == "ru" and fold_word("pairs") == fold_word("paire") == "pair"


def test_phrases_from_annotations_synonyms_and_knowledge_are_found(tmp_path: Path) -> None:
    component, _, _ = trained(tmp_path)
    assert entities(component, "Les PATIENTES EXPERTES font quoi ?") == [
        ("PATIENTES EXPERTES", "role", "patient_expert")
    ]
    assert entities(component, "et un représentant des usagers ou un RU ?") == [
        ("représentant des usagers", "role", "representant_usagers"),
        ("RU", "role", "representant_usagers"),
    ]
    assert entities(component, "la pair-aidance c'est quoi") == [("pair-aidance", "role", "pair_aidant")]
    # the longest phrase wins: « pair-aidant familial » is not « pair-aidant »
    assert entities(component, "devenir pair aidant familial") == [
        ("pair aidant familial", "role", "pair_aidant_familial")
    ]
    # only the role.* entries of the knowledge file
    assert entities(component, "le droit à l'information") == []


def test_a_word_the_spelling_corrector_mended_is_matched_at_the_span_written(tmp_path: Path) -> None:
    component, _, _ = trained(tmp_path)
    text = "la diff entre un patient expret et un représentant des usgers ?"
    mended = [
        (text.index("expret"), text.index("expret") + len("expret"), "expert"),
        (text.index("usgers"), text.index("usgers") + len("usgers"), "usagers"),
    ]
    assert entities(component, text) == []  # without the corrector's spans
    message = Message.build(text=text)
    message.set(CORRECTED_SPANS, mended)
    [message] = component.process([message])
    assert [(text[e["start"] : e["end"]], e["value"]) for e in message.get("entities")] == [
        ("patient expret", "patient_expert"),
        ("représentant des usgers", "representant_usagers"),
    ]


def test_field_names_count_only_in_a_correction(tmp_path: Path) -> None:
    component, _, _ = trained(tmp_path, only_with_intents={"champ": ["corriger"]})
    assert entities(component, "je me suis trompé de portable", "corriger") == [
        ("portable", "champ", "telephone")
    ]
    assert entities(component, "mon courriel est faux", "corriger") == [("courriel", "champ", "email")]
    # the same words in another sentence name no field to correct
    assert entities(component, "j'ai perdu mon portable à l'hôpital", "reclamation") == []
    assert entities(component, "un patient expert a un portable", "role") == [
        ("patient expert", "role", "patient_expert")
    ]


def test_the_persisted_lexicon_finds_the_same_entities(tmp_path: Path) -> None:
    component, storage, resource = trained(tmp_path)
    loaded = LexiconEntityExtractor.load(component.component_config, storage, resource, CONTEXT)
    text = "différence entre patient pair et RU"
    assert entities(loaded, text) == entities(component, text) != []


def test_payloads_are_left_alone_and_a_missing_model_finds_nothing(tmp_path: Path) -> None:
    component, _, _ = trained(tmp_path)
    assert entities(component, '/informer{"choix": "patient expert"}') == []
    empty = LexiconEntityExtractor.load({}, LocalModelStorage(tmp_path), Resource("missing"), CONTEXT)
    assert entities(empty, "patient expert") == []


def test_a_bad_knowledge_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LexiconConfigError, match="file"):
        LexiconEntityExtractor.create({"knowledge": {"role": {"prefix": "role."}}}, None, None, CONTEXT)  # type: ignore[arg-type]
    absent = {"knowledge": {"role": {"file": str(tmp_path / "absent.yml")}}}
    component = LexiconEntityExtractor.create(absent, LocalModelStorage(tmp_path), Resource("x"), CONTEXT)
    with pytest.raises(LexiconConfigError, match=r"absent\.yml"):
        component.train(training_data())
