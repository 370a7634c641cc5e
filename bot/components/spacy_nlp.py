"""SharedSpacyNLP: Rasa's ``SpacyNLP``, with each spaCy model loaded once per process.

Why: Rasa 3.6 builds two graph nodes from ``SpacyNLP`` (``provide_SpacyNLP0``,
which hands the spaCy model to the pipeline, and ``run_SpacyNLP0``, which
processes messages with the model it is *given*).  Each node creates its own
component, and ``SpacyNLP.create`` loads the model each time: the engine held
``fr_core_news_md`` twice, about 340 MB of resident memory for a copy nobody
uses (measured in README, *Performance*).  Here both nodes share one loaded
model.

The model is also loaded without the components the pipeline never reads: the
dependency parser (which Rasa already disabled, but loaded) and the named-entity
recogniser (which ran on every message for nothing).  Lemmas come from the
morphologizer, the attribute ruler and the lemmatizer, which stay, so the
features are unchanged.

config.yml::

    - name: bot.components.spacy_nlp.SharedSpacyNLP
      model: fr_core_news_md
      case_sensitive: false
      exclude: [parser, ner]     # the default
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Dict, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.model import InvalidModelError
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.exceptions import InvalidConfigException

logger = logging.getLogger(__name__)

#: Components of a spaCy pipeline that no component of ours reads.
DEFAULT_EXCLUDE: Tuple[str, ...] = ("parser", "ner")

_loaded: Dict[Tuple[str, Tuple[str, ...]], SpacyModel] = {}
_lock = threading.Lock()


def load_shared(name: str, exclude: Tuple[str, ...]) -> SpacyModel:
    """The spaCy model ``name`` without ``exclude``: loaded on the first call, then the same object."""
    key = (name, tuple(sorted(exclude)))
    with _lock:
        model = _loaded.get(key)
        if model is None:
            import spacy

            if not name:
                raise InvalidModelError("SharedSpacyNLP: give the spaCy model's name (model: fr_core_news_md).")
            logger.info("Loading spaCy model %r once for this process, without %s.", name, list(key[1]))
            try:
                language = spacy.load(name, exclude=list(key[1]))
            except OSError as error:
                raise InvalidModelError(f"SharedSpacyNLP: the spaCy model {name!r} is not installed.") from error
            wanted = str(language.meta.get("spacy_version", ""))
            if wanted and not spacy.util.is_compatible_version(spacy.about.__version__, wanted):
                raise InvalidModelError(
                    f"SharedSpacyNLP: {name!r} needs spaCy {wanted}, not {spacy.about.__version__}."
                )
            model = SpacyModel(model=language, model_name=name)
            _loaded[key] = model
        return model


def already_loaded(name: str, pipe: str) -> Optional[SpacyModel]:
    """A copy of the spaCy model ``name`` this process already holds with the pipe ``pipe``, whatever it excludes."""
    with _lock:
        for (loaded_name, _), model in _loaded.items():
            if loaded_name == name and pipe in model.model.pipe_names:
                return model
    return None


def forget_loaded() -> None:
    """Drop the shared models (tests)."""
    with _lock:
        _loaded.clear()


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="SharedSpacyNLP",
)
class SharedSpacyNLP(SpacyNLP):
    """``SpacyNLP`` whose graph nodes share one loaded spaCy model per process."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**SpacyNLP.get_default_config(), "exclude": list(DEFAULT_EXCLUDE)}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        exclude = config.get("exclude")
        if not isinstance(exclude, list) or not all(isinstance(name, str) for name in exclude):
            raise InvalidConfigException(f"SharedSpacyNLP: exclude must be a list of component names, not {exclude!r}")
        if "lemmatizer" in exclude:
            raise InvalidConfigException("SharedSpacyNLP: the lemmatizer is needed (LinearIntentClassifier's lemmas)")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SharedSpacyNLP:
        config = {**cls.get_default_config(), **config}
        cls.validate_config(config)
        model = load_shared(str(config.get("model") or ""), tuple(config["exclude"]))
        cls.ensure_proper_language_model(model.model)
        return cls(model, config)
