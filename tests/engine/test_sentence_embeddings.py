"""SentenceEmbeddingFeaturizer (bot/components): the shipped multilingual-e5-small encoder as a sentence feature."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.sentence_embeddings import DIMENSION, SentenceEmbeddingFeaturizer


@pytest.fixture(scope="module")
def featurizer() -> SentenceEmbeddingFeaturizer:
    context = ExecutionContext(GraphSchema({}), "test")
    return SentenceEmbeddingFeaturizer.create(
        SentenceEmbeddingFeaturizer.get_default_config(),
        None,
        None,
        context,  # type: ignore[arg-type]
    )


def sentence(message: Message) -> np.ndarray:
    sequence, found = message.get_dense_features("text", [])
    assert sequence is None  # a sentence feature only
    assert found is not None
    return np.asarray(found.features).reshape(-1)


def test_each_message_gets_one_unit_vector_that_carries_meaning(featurizer: SentenceEmbeddingFeaturizer) -> None:
    texts = [
        "c'est quoi une patiente partenaire ?",
        "qu'est-ce qu'un patient partenaire",
        "où garer ma voiture à l'hôpital",
    ]
    messages = featurizer.process([Message.build(text=t) for t in texts])
    vectors = [sentence(m) for m in messages]
    assert all(v.shape == (DIMENSION,) for v in vectors)
    assert all(abs(float(np.linalg.norm(v)) - 1.0) < 1e-3 for v in vectors)
    # a paraphrase is closer than an unrelated question
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.05


def test_training_data_is_featurised_in_batches_like_single_messages(featurizer: SentenceEmbeddingFeaturizer) -> None:
    texts = [f"question numéro {i} sur mes droits" for i in range(5)]
    data = TrainingData([Message.build(text=t, intent="x") for t in texts])
    small = SentenceEmbeddingFeaturizer(
        {**SentenceEmbeddingFeaturizer.get_default_config(), "batch_size": 2}, "e5", encoder=featurizer.encoder
    )
    small.process_training_data(data)
    [alone] = featurizer.process([Message.build(text=texts[3])])
    assert np.allclose(sentence(data.training_examples[3]), sentence(alone), atol=1e-5)


def test_payloads_and_empty_texts_get_no_feature(featurizer: SentenceEmbeddingFeaturizer) -> None:
    payload, empty = featurizer.process([Message.build(text='/informer{"choix": "patient"}'), Message.build(text="")])
    assert payload.get_dense_features("text", []) == (None, None)
    assert empty.get_dense_features("text", []) == (None, None)


def test_a_bad_config_is_refused() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        SentenceEmbeddingFeaturizer({"batch_size": 0}, "e5", encoder=object())  # type: ignore[arg-type]


class RecordingEncoder:
    """A stand-in encoder: a vector from each text's length, and the texts it was given."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def query(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)


def test_training_data_is_shared_among_workers_and_each_message_gets_its_own_vector() -> None:
    made: list[RecordingEncoder] = []

    def new_encoder() -> RecordingEncoder:
        made.append(RecordingEncoder())
        return made[-1]

    config = {**SentenceEmbeddingFeaturizer.get_default_config(), "batch_size": 3, "training_workers": 2}
    component = SentenceEmbeddingFeaturizer(config, "e5", new_encoder=new_encoder)
    texts = ["a" * (i + 1) for i in range(20)]
    data = TrainingData([Message.build(text=t, intent="x") for t in texts])
    component.process_training_data(data)
    assert len(made) == 2 and all(encoder.seen for encoder in made)
    assert sorted(made[0].seen + made[1].seen) == sorted(texts)
    assert [float(sentence(m)[0]) for m in data.training_examples] == [float(len(t)) for t in texts]
    # serving a message uses the model's one encoder
    component.process([Message.build(text="bonjour")])
    assert made[0].seen[-1] == "bonjour" and len(made) == 2
