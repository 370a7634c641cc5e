"""SharedSpacyNLP (bot/components): one spaCy model per process, without what nothing reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import spacy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.nlu.model import InvalidModelError
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message

from bot.components import spacy_nlp
from bot.components.spacy_nlp import SharedSpacyNLP
from bot.components.spelling import FrenchWords

ROOT = Path(__file__).resolve().parents[2]
SENTENCES = [
    "Ma mère est restée attachée toute la nuit, personne ne nous a rien dit.",
    "Comment je fais pour récupérer le dossier médical de mon père décédé ?",
    "Les infirmières ont refusé que je voie mon fils aux urgences.",
]


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, ...]]]:
    """Every call to spacy.load, from a fresh cache."""
    calls: list[tuple[Any, ...]] = []
    real = spacy.load

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    spacy_nlp.forget_loaded()
    monkeypatch.setattr(spacy, "load", counting)
    yield calls
    spacy_nlp.forget_loaded()


def create(**config: Any) -> SharedSpacyNLP:
    context = ExecutionContext(GraphSchema({}), "test")
    full = {**SharedSpacyNLP.get_default_config(), "model": "fr_core_news_md", **config}
    return SharedSpacyNLP.create(full, None, None, context)  # type: ignore[arg-type]


def test_the_two_graph_nodes_share_one_model_without_parser_nor_ner(loads: list[tuple[Any, ...]]) -> None:
    provider, runner = create(), create()
    assert len(loads) == 1
    assert provider.provide() is runner.provide()
    names = provider.provide().model.pipe_names
    assert "parser" not in names and "ner" not in names
    assert {"morphologizer", "lemmatizer"} <= set(names)


def test_lemmas_are_those_of_rasa_s_spacy_nlp() -> None:
    rasa_model = SpacyNLP.load_model("fr_core_news_md")
    ours = create().provide()
    for text in SENTENCES:
        theirs = [(t.text, t.lemma_, t.pos_) for t in rasa_model.model(text)]
        assert [(t.text, t.lemma_, t.pos_) for t in ours.model(text)] == theirs


def test_messages_get_their_spacy_doc() -> None:
    component = create()
    [message] = component.process([Message.build(text=SENTENCES[0])], component.provide())
    doc = message.get("text_spacy_doc")
    assert doc is not None and [t.lemma_ for t in doc][:4] == ["mon", "mère", "être", "rester"]


def test_the_spelling_corrector_reads_the_copy_already_loaded_whatever_it_excludes(
    loads: list[tuple[Any, ...]],
) -> None:
    shared = create(exclude=["parser"]).provide()
    french = FrenchWords.of("fr_core_news_md")
    assert len(loads) == 1  # no second copy with the default exclude
    assert "ner" in shared.model.pipe_names
    assert "travailler" in french and "travailer" not in french


def test_the_spelling_corrector_loads_the_model_when_nothing_holds_it(loads: list[tuple[Any, ...]]) -> None:
    assert spacy_nlp.already_loaded("fr_core_news_md", "lemmatizer") is None
    assert "travailler" in FrenchWords.of("fr_core_news_md")
    assert len(loads) == 1
    assert spacy_nlp.already_loaded("fr_core_news_md", "lemmatizer") is not None


@pytest.mark.parametrize("config", [{"exclude": "parser"}, {"exclude": ["lemmatizer"]}])
def test_a_bad_config_is_refused(config: dict[str, Any]) -> None:
    with pytest.raises(InvalidConfigException):
        create(**config)


def test_a_missing_model_is_named(loads: list[tuple[Any, ...]]) -> None:
    with pytest.raises(InvalidModelError, match="pas_un_modele"):
        create(model="pas_un_modele")


def test_the_trained_assistant_loads_spacy_once(loads: list[tuple[Any, ...]]) -> None:
    model = ROOT / "models" / "partenaires-sante.tar.gz"
    assert model.exists(), "train the model first (make train)"
    from rasa.core.agent import Agent

    Agent.load(str(model))
    assert loads == [("fr_core_news_md",)]
