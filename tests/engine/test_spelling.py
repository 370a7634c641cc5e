"""SpellingCorrector (bot/components): typos mended against the training vocabulary, for the features only."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components import spacy_nlp
from bot.components.linear_intent import char_text, lemma_text
from bot.components.spacy_nlp import SharedSpacyNLP
from bot.components.spelling import (
    CORRECTED_LEMMAS,
    CORRECTED_SPANS,
    CORRECTED_TEXT,
    SpellingCorrector,
    Vocabulary,
    one_typo_apart,
)

CONTEXT = ExecutionContext(GraphSchema({}), "test")
TRAINING = [
    ("je voudrais travailler depuis chez moi", "teletravail"),
    ("le télétravail est-il obligatoire", "teletravail"),
    ("quand mon salaire sera-t-il versé", "salaire"),
    ("je suis jeune et malade", "jeune"),
    ("qui est ma personne de confiance", "confiance"),
]


@pytest.fixture(scope="module")
def spacy_model() -> SpacyModel:
    return spacy_nlp.load_shared("fr_core_news_md", spacy_nlp.DEFAULT_EXCLUDE)


def prepared(spacy_model: SpacyModel, *texts: str) -> list[Message]:
    messages = [Message.build(text=text) for text in texts]
    config = {**SharedSpacyNLP.get_default_config(), "model": "fr_core_news_md"}
    SharedSpacyNLP.create(config, None, None, CONTEXT).process(messages, spacy_model)  # type: ignore[arg-type]
    SpacyTokenizer.create(SpacyTokenizer.get_default_config(), None, None, CONTEXT).process(messages)  # type: ignore[arg-type]
    return messages


@pytest.fixture()
def trained(tmp_path: Path, spacy_model: SpacyModel) -> tuple[SpellingCorrector, LocalModelStorage, Resource]:
    messages = prepared(spacy_model, *(text for text, _ in TRAINING))
    for message, (_, intent) in zip(messages, TRAINING, strict=True):
        message.set("intent", intent)
    storage, resource = LocalModelStorage(tmp_path), Resource("spelling")
    component = SpellingCorrector.create(SpellingCorrector.get_default_config(), storage, resource, CONTEXT)
    component.train(TrainingData(messages))
    return component, storage, resource


def corrected(component: SpellingCorrector, spacy_model: SpacyModel, text: str) -> Message:
    (message,) = component.process(prepared(spacy_model, text))
    return message


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("travailler", "travailer", True),  # a letter left out
        ("salaire", "salairre", True),  # a letter typed twice
        ("salaire", "slaaire", True),  # two neighbours swapped
        ("confiance", "confiancr", True),  # a letter changed
        ("confiance", "confiance", False),  # the same word needs no correction
        ("salaire", "saliare", True),
        ("salaire", "slairea", False),  # two typos
        ("travail", "travailler", False),
    ],
)
def test_one_typo_apart(a: str, b: str, expected: bool) -> None:
    assert one_typo_apart(a, b) is expected
    assert one_typo_apart(b, a) is expected


def test_a_word_one_typo_from_a_training_word_is_mended_for_the_features_only(
    trained: tuple[SpellingCorrector, LocalModelStorage, Resource], spacy_model: SpacyModel
) -> None:
    component, _, _ = trained
    text = "Je voudrais travailer depuis chez moi, svp"
    message = corrected(component, spacy_model, text)
    assert message.get("text") == text  # what the person wrote is kept
    assert message.get(CORRECTED_TEXT) == "Je voudrais travailler depuis chez moi, svp"
    assert "travailler" in message.get(CORRECTED_LEMMAS)
    assert "travailler" in char_text(message).split() and "travailler" in lemma_text(message).split()
    start = text.index("travailer")
    assert message.get(CORRECTED_SPANS) == [(start, start + len("travailer"), "travailler")]
    assert corrected(component, spacy_model, "je voudrais travailler").get(CORRECTED_SPANS) == []


def test_accents_come_back_and_known_or_short_or_ambiguous_words_stay(
    trained: tuple[SpellingCorrector, LocalModelStorage, Resource], spacy_model: SpacyModel
) -> None:
    component, _, _ = trained
    message = corrected(component, spacy_model, "le teletravail est obligatoire ?")
    assert message.get(CORRECTED_TEXT) == "le télétravail est obligatoire ?"
    # « salaires » is one letter from « salaire » but a French word the lemmatizer knows.
    assert corrected(component, spacy_model, "mes salaires sont en retard").get(CORRECTED_TEXT) == (
        "mes salaires sont en retard"
    )
    # « jeûne » folds to the training word « jeune », but it is a French word as written.
    assert corrected(component, spacy_model, "le jeûne guérit-il ?").get(CORRECTED_TEXT) == "le jeûne guérit-il ?"
    assert corrected(component, spacy_model, "qiu est là").get(CORRECTED_TEXT) == "qiu est là"  # 3 letters
    # The lemmatizer's tables tell French words; word vectors would not (« travailer » has one).
    assert "travailler" in component.french and "Salaires" in component.french
    assert "travailer" not in component.french and "slaaire" not in component.french
    vocabulary = Vocabulary.learn([("chat", "chat"), ("chas", "chas")], 4)
    assert vocabulary.correction("chaz", known=False) is None  # two candidates: left alone
    assert vocabulary.correction("chta", known=False) == ("chat", "chat")
    assert vocabulary.correction("chta", known=True) is None


def test_button_payloads_are_left_alone(
    trained: tuple[SpellingCorrector, LocalModelStorage, Resource], spacy_model: SpacyModel
) -> None:
    component, _, _ = trained
    message = corrected(component, spacy_model, '/choisir_sujet{"sujet": "travailer"}')
    assert message.get(CORRECTED_TEXT) is None and message.get(CORRECTED_LEMMAS) is None


def test_the_vocabulary_is_persisted_as_json_and_loaded(
    trained: tuple[SpellingCorrector, LocalModelStorage, Resource], spacy_model: SpacyModel, tmp_path: Path
) -> None:
    component, storage, resource = trained
    loaded = SpellingCorrector.load(SpellingCorrector.get_default_config(), storage, resource, CONTEXT)
    text = "quand mon slaaire sera-t-il versé"
    assert corrected(loaded, spacy_model, text).get(CORRECTED_TEXT) == "quand mon salaire sera-t-il versé"
    assert corrected(component, spacy_model, text).get(CORRECTED_TEXT) == "quand mon salaire sera-t-il versé"
    empty = SpellingCorrector.load({}, LocalModelStorage(tmp_path / "none"), Resource("none"), CONTEXT)
    assert corrected(empty, spacy_model, text).get(CORRECTED_TEXT) is None


def test_min_length_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="min_length"):
        SpellingCorrector.create({"min_length": 1}, LocalModelStorage(tmp_path), Resource("x"), CONTEXT)
