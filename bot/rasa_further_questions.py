"""Rasa pipeline step: every FAQ and Club topic a message asks about beside its intent.

"Was kostet der Versand nach Österreich und wie lange habe ich für die Rückgabe Zeit?"
gets one intent and one topic from the classifiers before this step, so one answer.
This step cuts the message into its questions (bot/question_segments.py), classifies each
with a logistic regression over topics and the other intents (bot/linear_text_model.py),
and when two or more parts are confident questions on different topics, lists those
topics in the parse as `questions`, in the customer's order. Where the whole message's
topic is one of them but not the first, the first question's topic becomes the answer
Rasa gives first, so the answers come in the order they were asked; the action that
follows the first answer (actions/topics.py) answers the rest. Beside a person asked for or a
complaint, one confident question is listed too, and the handoff answers it before it
hands over (actions/handoff.py). A part that asks for a person or complains sets
`hand_over` to the handoff's reason: where the message reads as something else (a
question, "are you a bot?", or unclear once the fallback has judged it), the answers are
followed by the handoff (actions/topics.py). "Wie kann ich es zurückschicken? Das Regal
kam kaputt an, echt ärgerlich." gets the returns answer, then a person.

A part about something else ("hallo", "ich hab zwei Fragen") is classified as its intent
and dropped; a part below `threshold` is dropped too, so an unclear part costs an answer,
never a wrong one.

Runs inside Rasa's training and server (config.yml names it), not in the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import RESPONSE_SELECTOR_PREDICTION_KEY, RESPONSE_SELECTOR_PROPERTY_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.linear_text_model import LinearTextModel
from bot.question_segments import HAND_OVER, QUESTIONS, question_segments
from bot.rasa_linear_component import LinearComponent
from bot.rasa_linear_topics import answering_first
from bot.sentence_encoder import shared_encoder

# The intents that hand over to a person, with the handoff's reason: a part that asks for
# one or complains, in a message read as a question ("Wie ist eure E-Mail? Und ich will
# mit jemandem sprechen."), still hands over; beside them, one question is answered first.
HANDOFF_REASONS = {"request_human": "asked_for_person", "complaint": "complaint"}
# The intents whose answer leaves a question asked beside it open, so that one question is
# listed too: the handoff's, and "are you a bot?" ("Bist du ein Bot? Was kostet Versand?").
ANSWERED_BESIDE = (*HANDOFF_REASONS, "bot_challenge")


@dataclass(frozen=True)
class QuestionParts:
    """The classifier of a message's parts, and the responses Rasa lists with a topic
    when the first answer is changed to the first question's."""

    classifier: LinearTextModel
    responses: dict[str, list[dict[str, Any]]]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FurtherQuestionsDetector(IntentClassifier, LinearComponent[QuestionParts]):  # type: ignore[misc]
    """Lists the topics of a message's questions besides its intent, for the answers after
    the first or before a handoff, and marks a part that asks for a person or complains."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """threshold: the confidence a part needs to count as a question on its topic."""
        return {**LinearComponent.get_default_config(), "threshold": 0.6}

    def train(self, training_data: TrainingData) -> Resource:
        """Fits one classifier over the topics of the retrieval intents and every other
        intent, so a part that is a greeting or a remark is told apart from a question."""
        examples = [m for m in training_data.intent_examples if m.get(INTENT) and m.get(TEXT)]
        labels = [m.get(INTENT_RESPONSE_KEY) or m.get(INTENT) for m in examples]
        classifier = self._fit(examples, labels, training_data)
        return self._keep(QuestionParts(classifier, dict(training_data.responses)))

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds `questions` to each message that asks about two or more topics, or about
        one beside a handoff, and `hand_over` where a part asks for a person or complains."""
        if self._trained is None:
            return messages
        split = [(m, question_segments(m.get(TEXT) or "")) for m in messages]
        several = [(m, parts) for m, parts in split if len(parts) > 1]
        if not several:
            return messages
        texts = [part for _, parts in several for part in parts]
        trained = self._trained
        rankings = iter(trained.classifier.rankings(texts, shared_encoder().encode(texts)))
        for message, parts in several:
            topics: list[str] = []
            reasons: list[str] = []
            for ranking in (next(rankings) for _ in parts):
                label, confidence = ranking[0]
                if confidence < self._config["threshold"]:
                    continue
                if "/" in label:
                    topics.append(label)
                if label in HANDOFF_REASONS:
                    reasons.append(HANDOFF_REASONS[label])
            distinct = list(dict.fromkeys(topics))
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if reasons:
                # A complaint tells the agent more than a plain "a person, please".
                reason = "complaint" if "complaint" in reasons else reasons[0]
                message.set(HAND_OVER, reason, add_to_output=True)
            if len(distinct) > 1 or (distinct and (reasons or intent in ANSWERED_BESIDE)):
                message.set(QUESTIONS, distinct, add_to_output=True)
            if len(distinct) > 1 and intent:
                _answer_in_order(message, intent, distinct, trained.responses)
        return messages


def _answer_in_order(
    message: Message, intent: str, topics: list[str], responses: dict[str, list[dict[str, Any]]]
) -> None:
    """Makes the first question's topic the first answer, where the message's own topic
    is asked later in it: "Rückgabefrist? Und was kostet der Versand nach Wien?" is
    answered returns first, though the whole reads as shipping. Nothing is lost: the
    message's own topic is among the further questions answered next."""
    selections = message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}
    entry = selections.get(intent)
    first = topics[0]
    if not entry or not first.startswith(f"{intent}/"):
        return
    answered = entry[RESPONSE_SELECTOR_PREDICTION_KEY][INTENT_RESPONSE_KEY]
    if answered == first or answered not in topics:
        return
    reordered = {**selections, intent: answering_first(entry, first, responses)}
    message.set(RESPONSE_SELECTOR_PROPERTY_NAME, reordered, add_to_output=True)
