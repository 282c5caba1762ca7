"""Rasa pipeline step: `inform` is the message that gives a member number or date of birth.

Runs inside the Rasa server after the FallbackClassifier (config.yml names it).
- An `inform` that holds neither becomes `nlu_fallback`: the customer gets the
  clarifying question instead of a verification step.
- A `rate` that holds one becomes `inform`: a score is 0 to 10 or a few stars, never
  a six-digit member number or a date, which bare digits pulled there.
The classifier's ranking stays below the new intent, for the clarification's
topic buttons.
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

from bot.birth_dates import parse_birth_date
from bot.member_numbers import normalise_member_number
from bot.rasa_own_code import OwnCodeFingerprint

DETAILS_INTENT = "inform"
RATING_INTENT = "rate"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class InformNeedsDetails(OwnCodeFingerprint, GraphComponent, IntentClassifier):  # type: ignore[misc]
    """Files a message under `inform` exactly when it gives the details `inform` stands for."""

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
        """Correct `inform` and `rate` by the details, as sure as the classifier was."""
        today = dt.date.today()
        for message in messages:
            intent = message.get(INTENT) or {}
            name = intent.get(INTENT_NAME_KEY)
            if name not in (DETAILS_INTENT, RATING_INTENT):
                continue
            details = _gives_details(message.get(TEXT) or "", today)
            if name == DETAILS_INTENT and not details:
                _replace(message, intent, DEFAULT_NLU_FALLBACK_INTENT_NAME)
            elif name == RATING_INTENT and details:
                _replace(message, intent, DETAILS_INTENT)
        return messages


def _gives_details(text: str, today: dt.date) -> bool:
    """The verification form's own readers: a member number or a plausible date of birth."""
    return normalise_member_number(text) is not None or (
        parse_birth_date(text, today=today) is not None
    )


def _replace(message: Message, intent: dict[str, Any], name: str) -> None:
    corrected = {
        INTENT_NAME_KEY: name,
        PREDICTED_CONFIDENCE_KEY: intent.get(PREDICTED_CONFIDENCE_KEY, 1.0),
    }
    message.set(INTENT, corrected, add_to_output=True)
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
    message.set(INTENT_RANKING_KEY, [dict(corrected), *ranking], add_to_output=True)
