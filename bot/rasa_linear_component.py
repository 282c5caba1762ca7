"""What the project's linear Rasa components share: storage, settings and their inputs.

The intent classifier (bot/rasa_linear_intents.py), the topic selector
(bot/rasa_linear_topics.py) and the several-questions step (bot/rasa_further_questions.py)
fit bot/linear_text_model.py's classifier on the message text, the sentence encoder's
vector and the training data's lookup tables, and keep what they fitted as one pickle in
Rasa's model storage.

Runs inside Rasa's training and server (config.yml names the components), not in the
gateway.
"""

from __future__ import annotations

import pickle
from typing import Any, Generic, TypeVar

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.shared.nlu.constants import INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.linear_text_model import LinearTextModel
from bot.lookup_phrases import LookupPhrases
from bot.rasa_own_code import OwnCodeFingerprint
from bot.rasa_sentence_encoder import SentenceEncoderFeaturizer

Trained = TypeVar("Trained")

_MODEL_FILE = "linear_model.pkl"


def model_inputs(messages: list[Message]) -> tuple[list[str], np.ndarray]:
    """What the linear model reads of messages with text: the texts, and one row per message
    of the sentence encoder's vector. Gathered once per batch, however many models read it."""
    vectors = [m.get_dense_features(TEXT)[1].features.reshape(1, -1) for m in messages]
    return [m.get(TEXT) for m in messages], np.vstack(vectors)


class LinearComponent(OwnCodeFingerprint, GraphComponent, Generic[Trained]):  # type: ignore[misc]
    """A trainable component whose fitted state is one picklable object."""

    @classmethod
    def required_components(cls) -> list[type]:
        """The sentence vector comes from the encoder earlier in the pipeline."""
        return [SentenceEncoderFeaturizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """C: inverse regularisation strength; sentence_weight and lookup_weight: scale of
        the encoder's vector and of the lookup tables' inputs against the unit-length n-gram
        vectors (all chosen by cross-validation on the training data); ranking_length: how
        many labels the parse lists; word_ngrams: the longest run of words that is one input."""
        return {
            "C": 10.0,
            "sentence_weight": 1.0,
            "lookup_weight": 0.5,
            "word_ngrams": 1,
            "ranking_length": LABEL_RANKING_LENGTH,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """Rasa adds the packages' versions to the cache key: a pickle from another
        scikit-learn is trained again rather than loaded."""
        return ["sklearn"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        trained: Trained | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._trained = trained

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearComponent[Trained]:
        """Rasa's factory for an untrained component."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearComponent[Trained]:
        """The component as trained with this model (a file the training wrote itself)."""
        with model_storage.read_from(resource) as directory:
            trained = pickle.loads((directory / _MODEL_FILE).read_bytes())
        return cls(config, model_storage, resource, trained)

    def _keep(self, trained: Trained) -> Resource:
        """Holds and stores what training fitted; the end of every `train`."""
        self._trained = trained
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _MODEL_FILE).write_bytes(pickle.dumps(trained))
        return self._resource

    def _fit(
        self, messages: list[Message], labels: list[str], training_data: TrainingData
    ) -> LinearTextModel:
        """The linear model on these messages with this component's settings and the
        training data's lookup tables."""
        return LinearTextModel.fit(
            *model_inputs(messages),
            labels,
            C=self._config["C"],
            sentence_weight=self._config["sentence_weight"],
            lookups=LookupPhrases.from_rasa(training_data.lookup_tables),
            lookup_weight=self._config["lookup_weight"],
            word_ngrams=self._config["word_ngrams"],
        )

    def _rankings(
        self, model: LinearTextModel, inputs: tuple[list[str], np.ndarray]
    ) -> list[list[dict[str, Any]]]:
        """Each message's labels as Rasa lists them, likeliest first, cut to ranking_length
        (0 keeps them all, as in Rasa's classifiers)."""
        return [
            [
                {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
                for name, confidence in ranking
            ][: self._config["ranking_length"] or None]
            for ranking in model.rankings(*inputs)
        ]
