"""Rasa pipeline step: `inform` without a member number or date of birth is not understood.

Runs inside the Rasa server after the FallbackClassifier (config.yml names it). It
turns such a message into `nlu_fallback`, so the customer gets the clarifying
question instead of a verification step, and keeps the classifier's ranking below
it for the clarification's topic buttons.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.details import gives_details

DETAILS_INTENT = "inform"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class InformNeedsDetails(GraphComponent, IntentClassifier):  # type: ignore[misc]
    """Takes `inform` back when the message gives no detail to be informed of."""

    @classmethod
    def required_components(cls) -> list[type]:
        """An intent classifier must have named the intent first."""
        return [IntentClassifier]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> InformNeedsDetails:
        """Nothing to train or load: the check is the member-number and date readers."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace an empty `inform` with the fallback, as sure as the classifier was."""
        today = dt.date.today()
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) != DETAILS_INTENT:
                continue
            if gives_details(message.get(TEXT) or "", today=today):
                continue
            fallback = {
                INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                PREDICTED_CONFIDENCE_KEY: intent.get(PREDICTED_CONFIDENCE_KEY, 1.0),
            }
            message.set(INTENT, fallback, add_to_output=True)
            message.data.setdefault(INTENT_RANKING_KEY, []).insert(0, dict(fallback))
        return messages
