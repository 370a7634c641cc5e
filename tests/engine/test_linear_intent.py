"""LinearIntentClassifier (bot/components): training, persistence, blending with DIET, payloads."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components import spacy_nlp
from bot.components.linear_intent import LinearIntentClassifier, char_text, content_vector, lemma_text, misspell
from bot.components.spacy_nlp import SharedSpacyNLP

EXAMPLES = {
    "conges": [
        "est-ce que je peux poser mes congés pendant le confinement",
        "mes jours de congé seront-ils reportés",
        "combien de jours de vacances me reste-t-il",
        "puis-je garder mes congés pour plus tard",
    ],
    "teletravail": [
        "puis-je travailler depuis chez moi",
        "le télétravail est-il obligatoire",
        "comment demander du télétravail à mon manager",
        "je voudrais travailler à la maison",
    ],
    "salaire": [
        "quand serai-je payé ce mois-ci",
        "ma paie sera-t-elle versée à temps",
        "mon salaire va-t-il baisser",
        "le virement du salaire est en retard",
    ],
}


@pytest.fixture(scope="module")
def spacy_model() -> SpacyModel:
    return spacy_nlp.load_shared("fr_core_news_md", spacy_nlp.DEFAULT_EXCLUDE)


def prepare(spacy_model: SpacyModel, messages: list[Message]) -> list[Message]:
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**SharedSpacyNLP.get_default_config(), "model": "fr_core_news_md"}
    nlp = SharedSpacyNLP.create(config, None, None, context)  # type: ignore[arg-type]
    nlp.process(messages, spacy_model)
    SpacyTokenizer.create(SpacyTokenizer.get_default_config(), None, None, context).process(messages)  # type: ignore[arg-type]
    return messages


def training_data(spacy_model: SpacyModel) -> TrainingData:
    messages = [Message.build(text=text, intent=intent) for intent, texts in EXAMPLES.items() for text in texts]
    data = TrainingData(prepare(spacy_model, messages))
    return data


def trained(
    tmp_path: Path, spacy_model: SpacyModel, **config: Any
) -> tuple[LinearIntentClassifier, LocalModelStorage, Resource]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    storage = LocalModelStorage(tmp_path)
    resource = Resource("linear_intent")
    context = ExecutionContext(GraphSchema({}), "test")
    component = LinearIntentClassifier.create(
        {**LinearIntentClassifier.get_default_config(), **config}, storage, resource, context
    )
    component.train(training_data(spacy_model))
    return component, storage, resource


def parse(component: LinearIntentClassifier, spacy_model: SpacyModel, text: str, **attributes: Any) -> Message:
    message = Message.build(text=text)
    for key, value in attributes.items():
        message.set(key, value)
    [message] = component.process(prepare(spacy_model, [message]))
    return message


def test_features_use_lemmas_characters_without_accents_and_content_word_vectors(spacy_model: SpacyModel) -> None:
    [message] = prepare(spacy_model, [Message.build(text="Mes congés sont reportés")])
    assert "conge" in lemma_text(message).split()  # lemma, no accent: "congés" -> "conge"
    assert char_text(message) == "mes conges sont reportes"
    vector = content_vector(message, 300)
    assert vector.shape == (300,) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    [only_stop_words] = prepare(spacy_model, [Message.build(text="mes")])
    assert float(np.linalg.norm(content_vector(only_stop_words, 300))) > 0  # falls back to every word
    assert not content_vector(Message.build(text="sans doc"), 300).any()


def test_it_learns_the_intents_and_survives_a_paraphrase_with_typos(tmp_path: Path, spacy_model: SpacyModel) -> None:
    component, _, _ = trained(tmp_path, spacy_model)
    message = parse(component, spacy_model, "je peux travailer de chez moi ?")
    assert message.get("intent")["name"] == "teletravail"
    ranking = message.get("intent_ranking")
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert {r["name"] for r in ranking} == set(EXAMPLES)
    assert sum(confidences) == pytest.approx(1.0)
    assert parse(component, spacy_model, "mes conges vont ils etre perdus").get("intent")["name"] == "conges"


def test_the_persisted_model_gives_the_same_probabilities(tmp_path: Path, spacy_model: SpacyModel) -> None:
    component, storage, resource = trained(tmp_path, spacy_model)
    context = ExecutionContext(GraphSchema({}), "test")
    loaded = LinearIntentClassifier.load(LinearIntentClassifier.get_default_config(), storage, resource, context)
    text = "quand est-ce que le salaire arrive"
    assert parse(loaded, spacy_model, text).get("intent_ranking") == parse(component, spacy_model, text).get(
        "intent_ranking"
    )
    files = {p.name for p in (tmp_path / "linear_intent").iterdir()}
    assert files == {"meta.json", "weights.npz"}  # no pickle


def test_an_untrained_component_loads_and_leaves_messages_alone(tmp_path: Path, spacy_model: SpacyModel) -> None:
    context = ExecutionContext(GraphSchema({}), "test")
    component = LinearIntentClassifier.load({}, LocalModelStorage(tmp_path), Resource("missing"), context)
    previous = {"name": "conges", "confidence": 0.7}
    assert parse(component, spacy_model, "bonjour", intent=previous).get("intent") == previous


def test_diet_weight_blends_the_previous_ranking(tmp_path: Path, spacy_model: SpacyModel) -> None:
    diet: list[dict[str, Any]] = [
        {"name": "salaire", "confidence": 0.9},
        {"name": "conges", "confidence": 0.06},
        {"name": "teletravail", "confidence": 0.04},
    ]
    text = "je voudrais travailler à la maison"
    alone, _, _ = trained(tmp_path / "a", spacy_model, diet_weight=0.0)
    only_diet, _, _ = trained(tmp_path / "b", spacy_model, diet_weight=1.0)
    half, _, _ = trained(tmp_path / "c", spacy_model, diet_weight=0.5)
    linear = {
        r["name"]: r["confidence"] for r in parse(alone, spacy_model, text, intent_ranking=diet).get("intent_ranking")
    }
    assert max(linear, key=linear.__getitem__) == "teletravail"
    assert parse(only_diet, spacy_model, text, intent_ranking=diet).get("intent_ranking") == diet
    blended = parse(half, spacy_model, text, intent_ranking=diet).get("intent_ranking")
    for entry in blended:
        expected = 0.5 * linear[entry["name"]] + 0.5 * next(d["confidence"] for d in diet if d["name"] == entry["name"])
        assert entry["confidence"] == pytest.approx(expected)


def test_button_payloads_and_empty_texts_are_left_alone(tmp_path: Path, spacy_model: SpacyModel) -> None:
    component, _, _ = trained(tmp_path, spacy_model)
    chosen = {"name": "salaire", "confidence": 1.0}
    assert parse(component, spacy_model, "/salaire", intent=chosen).get("intent") == chosen
    [empty] = component.process([Message.build(text="")])
    assert empty.get("intent") == {"name": None, "confidence": 0.0}  # nothing predicted, for the FallbackClassifier
    [payload] = component.process([Message.build(text='/salaire{"x": 1}')])
    assert payload.get("intent") == {"name": None, "confidence": 0.0}  # Rasa reads the payload's intent later


def test_ranking_length_limits_the_ranking(tmp_path: Path, spacy_model: SpacyModel) -> None:
    component, _, _ = trained(tmp_path, spacy_model, ranking_length=2)
    assert len(parse(component, spacy_model, "mon salaire").get("intent_ranking")) == 2


def test_a_diet_weight_outside_zero_one_is_refused(tmp_path: Path) -> None:
    context = ExecutionContext(GraphSchema({}), "test")
    with pytest.raises(ValueError, match="diet_weight"):
        LinearIntentClassifier.create({"diet_weight": 1.5}, LocalModelStorage(tmp_path), Resource("x"), context)


class HashingEncoder:
    """A stand-in sentence encoder: the same text always gives the same unit vector."""

    def query(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            vector = np.zeros(16, dtype=np.float32)
            for word in text.casefold().split():
                vector[sum(map(ord, word)) % 16] += 1.0
            rows.append(vector / max(float(np.linalg.norm(vector)), 1e-9))
        return np.vstack(rows)


def embedded(messages: list[Message]) -> list[Message]:
    from bot.components.sentence_embeddings import SentenceEmbeddingFeaturizer

    featurizer = SentenceEmbeddingFeaturizer(
        SentenceEmbeddingFeaturizer.get_default_config(), "embeddings", encoder=HashingEncoder()
    )
    return featurizer.process(messages)


def test_a_linear_svm_on_sparse_and_dense_features_is_calibrated_and_persisted(
    tmp_path: Path, spacy_model: SpacyModel
) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("linear_intent")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {
        **LinearIntentClassifier.get_default_config(),
        **{"model": "linear_svm", "C": 0.5, "dense_weight": 4.0, "calibration_folds": 4},
    }
    component = LinearIntentClassifier.create(config, storage, resource, context)
    data = training_data(spacy_model)
    embedded(data.training_examples)
    component.train(data)
    assert component.dense == 16  # the dense sentence features are a block of their own
    assert component.temperature != 1.0  # fitted on out-of-fold margins

    def ranking(model: LinearIntentClassifier, text: str) -> Any:
        [message] = model.process(embedded(prepare(spacy_model, [Message.build(text=text)])))
        return message.get("intent_ranking")

    first = ranking(component, "je voudrais travailler depuis la maison")
    assert first[0]["name"] == "teletravail"
    assert sum(r["confidence"] for r in first) == pytest.approx(1.0)
    loaded = LinearIntentClassifier.load(config, storage, resource, context)
    assert loaded.temperature == component.temperature and loaded.dense == 16
    assert ranking(loaded, "je voudrais travailler depuis la maison") == first


def test_the_temperature_makes_confidence_match_accuracy() -> None:
    from bot.components.linear_intent import fit_temperature, softmax

    rng = np.random.default_rng(0)
    rows, classes = 4000, 5
    logits = rng.normal(size=(rows, classes)) * 2.0
    truth = softmax(logits, 1.0)  # how likely each class really is
    gold = np.array([rng.choice(classes, p=p) for p in truth])
    scores = logits * 4.0  # the model's margins: right order, far too sharp
    temperature = fit_temperature(scores, gold)
    assert 3.0 < temperature < 5.5
    accuracy = float((scores.argmax(axis=1) == gold).mean())
    raw = float(softmax(scores, 1.0).max(axis=1).mean())
    calibrated = float(softmax(scores, temperature).max(axis=1).mean())
    assert raw > accuracy + 0.15  # over-confident before
    assert abs(calibrated - accuracy) < 0.05


def test_an_unknown_model_or_calibration_is_refused(tmp_path: Path) -> None:
    context = ExecutionContext(GraphSchema({}), "test")
    with pytest.raises(ValueError, match="model"):
        LinearIntentClassifier.create({"model": "forest"}, LocalModelStorage(tmp_path), Resource("x"), context)
    with pytest.raises(ValueError, match="calibration_folds"):
        LinearIntentClassifier.create({"calibration_folds": 1}, LocalModelStorage(tmp_path), Resource("y"), context)


def test_misspell_makes_one_slip_per_altered_word_and_is_seeded() -> None:
    text = "est-ce que je peux travailler depuis chez moi pendant le confinement"
    noisy = misspell(text, 1.0, random.Random(7))
    assert noisy == misspell(text, 1.0, random.Random(7)) != text
    for before, after in zip(text.split(), noisy.split(), strict=True):
        if len(before) < 4 or not before.isalpha():
            assert after == before  # short words and hyphenated ones are left alone
        else:
            assert after != before and abs(len(after) - len(before)) <= 1
    assert misspell(text, 0.0, random.Random(7)) == text


def test_typo_copies_add_misspelled_rows_to_the_fit_and_to_the_calibration(
    tmp_path: Path, spacy_model: SpacyModel
) -> None:
    component, _, _ = trained(tmp_path / "plain", spacy_model)
    with_copies, _, _ = trained(tmp_path / "copies", spacy_model, typo_copies=2, typo_rate=0.5, calibration_folds=2)
    examples = list(training_data(spacy_model).intent_examples)
    labels = [str(m.get("intent")) for m in examples]
    features = with_copies.features(examples)
    copies = with_copies.typo_copies(examples, features, 2)
    assert len(copies) == 2 and all(copy.shape == features.shape for copy in copies)
    assert all((copy != features).nnz > 0 for copy in copies)  # misspelled lemmas and characters
    # The calibration folds train on the copies too, as the final fit does: the temperature fits the served model.
    assert with_copies.temperature == with_copies.calibrate(features, labels, copies)
    assert with_copies.temperature != with_copies.calibrate(features, labels)
    text = "je peux travailer de chez moi ?"
    assert parse(with_copies, spacy_model, text).get("intent")["name"] == "teletravail"
    assert parse(component, spacy_model, text).get("intent_ranking") != parse(with_copies, spacy_model, text).get(
        "intent_ranking"
    )
