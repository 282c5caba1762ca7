"""Rasa pipeline step: the FAQ or Club topic from a linear classifier, as a response selector.

A question's base intent (`faq`, `club`) comes from bot/rasa_linear_intents.py; this
picks the topic within it (`faq/returns`, `club/rewards`) with one logistic regression
per retrieval intent over the same inputs (bot/linear_text_model.py). It replaced Rasa's
DIET-based ResponseSelector, which confused topics the linear model keeps apart, most of
all earning points and rewards.

The output is Rasa's response-selector output, so Rasa's `utter_faq`/`utter_club`
actions, the clarifying question's topic buttons (actions/topics.py) and `make eval`
read it unchanged. Adding a topic stays a data change: the topics are the retrieval
intents' keys in the training data.

Runs inside Rasa's training and server (config.yml names it), not in the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.nlu.training_data.util import intent_response_key_to_template_key

from bot.linear_text_model import LinearTextModel
from bot.rasa_linear_component import LinearComponent, model_inputs


@dataclass(frozen=True)
class TopicModels:
    """A topic classifier per retrieval intent, the one topic of a retrieval intent that
    has only one (nothing to choose), and the responses Rasa lists with a topic."""

    by_retrieval_intent: dict[str, LinearTextModel]
    only_topic: dict[str, str]
    responses: dict[str, list[dict[str, Any]]]

    @property
    def retrieval_intents(self) -> list[str]:
        """Every retrieval intent, in the order Rasa's response selector lists them."""
        return sorted([*self.by_retrieval_intent, *self.only_topic])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearTopicSelector(IntentClassifier, LinearComponent[TopicModels]):  # type: ignore[misc]
    """Rasa's response selector, for every retrieval intent, from logistic regressions."""

    def train(self, training_data: TrainingData) -> Resource:
        """Fits one classifier per retrieval intent on its examples' topics; a retrieval
        intent with a single topic (a shop's first question of a new kind) always gets it."""
        by_retrieval_intent, only_topic = {}, {}
        for retrieval_intent in sorted(training_data.retrieval_intents):
            examples = [
                m
                for m in training_data.intent_examples
                if m.get(INTENT) == retrieval_intent and m.get(INTENT_RESPONSE_KEY) and m.get(TEXT)
            ]
            topics = [m.get(INTENT_RESPONSE_KEY) for m in examples]
            if len(set(topics)) == 1:
                only_topic[retrieval_intent] = topics[0]
            elif topics:
                by_retrieval_intent[retrieval_intent] = self._fit(examples, topics, training_data)
        return self._keep(
            TopicModels(by_retrieval_intent, only_topic, dict(training_data.responses))
        )

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds each retrieval intent's likeliest topic and ranking to the parse."""
        with_text = [m for m in messages if m.get(TEXT)]
        if self._trained is None or not with_text:
            return messages
        trained = self._trained
        inputs = model_inputs(with_text)
        selections: list[dict[str, Any]] = [
            {RESPONSE_SELECTOR_RETRIEVAL_INTENTS: trained.retrieval_intents} for _ in with_text
        ]
        for retrieval_intent, model in trained.by_retrieval_intent.items():
            for selection, ranking in zip(selections, self._rankings(model, inputs), strict=True):
                selection[retrieval_intent] = _selected(ranking, trained.responses)
        for retrieval_intent, topic in trained.only_topic.items():
            certain = [{INTENT_NAME_KEY: topic, PREDICTED_CONFIDENCE_KEY: 1.0}]
            for selection in selections:
                selection[retrieval_intent] = _selected(certain, trained.responses)
        for message, selection in zip(with_text, selections, strict=True):
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selection, add_to_output=True)
        return messages


def _selected(
    ranking: list[dict[str, Any]], responses: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """One retrieval intent's entry in Rasa's response-selector output."""
    top = ranking[0]
    return {
        RESPONSE_SELECTOR_PREDICTION_KEY: _prediction(
            top[INTENT_NAME_KEY], top[PREDICTED_CONFIDENCE_KEY], responses
        ),
        RESPONSE_SELECTOR_RANKING_KEY: [
            {
                PREDICTED_CONFIDENCE_KEY: label[PREDICTED_CONFIDENCE_KEY],
                INTENT_RESPONSE_KEY: label[INTENT_NAME_KEY],
            }
            for label in ranking
        ],
    }


def answering_first(
    entry: dict[str, Any],
    topic: str,
    confidence: float,
    responses: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """`entry` (one retrieval intent's response-selector output) with `topic`, ranked at
    `confidence`, as the answer Rasa's `utter_faq`/`utter_club` give, for a message whose
    first question is on `topic` (bot/rasa_further_questions.py); the ranking stays the
    classifier's."""
    return {**entry, RESPONSE_SELECTOR_PREDICTION_KEY: _prediction(topic, confidence, responses)}


def _prediction(
    topic: str, confidence: float, responses: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    utter_action = intent_response_key_to_template_key(topic)
    return {
        RESPONSE_SELECTOR_RESPONSES_KEY: responses.get(utter_action, []),
        PREDICTED_CONFIDENCE_KEY: confidence,
        INTENT_RESPONSE_KEY: topic,
        RESPONSE_SELECTOR_UTTER_ACTION_KEY: utter_action,
    }
