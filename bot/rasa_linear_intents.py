"""Rasa pipeline step: the intent from a linear classifier over n-grams and sentence meaning.

The classifier is bot/linear_text_model.py's logistic regression; why it and not DIET is
told there. FAQ and Club questions get their base intent here (`faq`, `club`);
bot/rasa_linear_topics.py picks the topic. DIET stays in the pipeline for the entities.

Runs inside Rasa's training and server (config.yml names it), not in the gateway.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.linear_text_model import LinearTextModel
from bot.rasa_linear_component import LinearComponent, model_inputs


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(IntentClassifier, LinearComponent[LinearTextModel]):  # type: ignore[misc]
    """Logistic regression over TF-IDF n-grams and the sentence encoder's vector."""

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the classifier on every intent example with text."""
        examples = [m for m in training_data.intent_examples if m.get(INTENT) and m.get(TEXT)]
        return self._keep(self._fit(examples, [m.get(INTENT) for m in examples], training_data))

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets the intent and the ranking Rasa's fallback and policies read; a message
        without text gets no intent at confidence 0, as from Rasa's own classifiers, so
        the fallback answers it."""
        with_text = [m for m in messages if m.get(TEXT)]
        trained = self._trained if with_text else None
        rankings = iter(self._rankings(trained, model_inputs(with_text)) if trained else [])
        for message in messages:
            ranking = next(rankings, []) if message.get(TEXT) else []
            top = (
                dict(ranking[0])
                if ranking
                else {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}
            )
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
