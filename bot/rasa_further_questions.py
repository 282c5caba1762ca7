"""Rasa pipeline step: every FAQ and Club topic a message asks about beside its intent.

"Was kostet der Versand nach Österreich und wie lange habe ich für die Rückgabe Zeit?"
gets one intent and one topic from the classifiers before this step, so one answer.
This step cuts the message into its questions (bot/question_segments.py), classifies each
with a logistic regression over topics and the other intents (bot/linear_text_model.py),
and when two or more parts are confident questions on different topics, lists those
topics in the parse as `questions`, in the customer's order. Where the whole message's
topic is one of them but not the first, and the first question's topic (of the same
retrieval intent, FAQ or Club) is not unlikely for the whole message too, that topic
becomes the answer Rasa gives first, so the answers come in the order they were asked;
the action that follows the first answer (actions/topics.py) answers the rest. Beside a
person asked for, a complaint or "are you a bot?", one confident question is listed too,
and the handoff answers it before it hands over (actions/handoff.py). A part that asks
for a person sets `hand_over` to the handoff's reason: where the message reads as
something else (a question, "are you a bot?", or unclear once the fallback has judged
it), the answers are followed by the handoff (actions/topics.py). A part that complains
does not: "Leider passt der Tisch nicht. Wie schicke ich ihn zurück?" is a question.

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
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
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

from bot.linear_text_model import LinearTextModel
from bot.question_segments import HAND_OVER, QUESTIONS, question_segments
from bot.rasa_linear_component import LinearComponent
from bot.rasa_linear_topics import answering_first
from bot.sentence_encoder import shared_encoder

# The intent of asking for a person: a part that asks for one, in a message read as a
# question ("Wie ist eure E-Mail? Und ich will mit jemandem sprechen."), still hands over.
PERSON_INTENT = "request_human"
PERSON_REASON = "asked_for_person"
# The intents whose answer leaves a question asked beside it open, so that one question is
# listed too: the handoff's, and "are you a bot?" ("Bist du ein Bot? Was kostet Versand?").
ANSWERED_BESIDE = (PERSON_INTENT, "complaint", "bot_challenge")
# How likely the whole message must find its first question's topic before that is answered
# first: on the training examples, every question cut in two whose first part read as
# another topic was below it (0.002-0.074), while 27 of the 33 messages with several
# questions in a probe set a helper wrote, answered later-first without it, were above.
FIRST_ANSWER_FLOOR = 0.08


@dataclass(frozen=True)
class QuestionParts:
    """The classifier of a message's parts, and the responses Rasa lists with a topic
    when the first answer is changed to the first question's."""

    classifier: LinearTextModel
    responses: dict[str, list[dict[str, Any]]]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FurtherQuestionsDetector(IntentClassifier, LinearComponent[QuestionParts]):  # type: ignore[misc]
    """Lists the topics of a message's questions besides its intent, for the answers after
    the first or before a handoff, and marks a part that asks for a person."""

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
        one beside a handoff or "are you a bot?", and `hand_over` where a part asks for a
        person."""
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
            labels: set[str] = set()
            for ranking in (next(rankings) for _ in parts):
                label, confidence = ranking[0]
                if confidence < self._config["threshold"]:
                    continue
                if "/" in label:
                    topics.append(label)
                labels.add(label)
            distinct = list(dict.fromkeys(topics))
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            person = PERSON_INTENT in labels
            if person:
                message.set(HAND_OVER, PERSON_REASON, add_to_output=True)
            beside = intent in ANSWERED_BESIDE or bool(labels.intersection(ANSWERED_BESIDE))
            if len(distinct) > 1 or (distinct and beside):
                message.set(QUESTIONS, distinct, add_to_output=True)
            # Before a handoff, the first answer stays the one the handoff was planned around.
            if len(distinct) > 1 and intent and not person:
                _answer_in_order(message, intent, distinct, trained.responses)
        return messages


def _answer_in_order(
    message: Message, intent: str, topics: list[str], responses: dict[str, list[dict[str, Any]]]
) -> None:
    """Makes the first question's topic the first answer, where the message's own topic
    is asked later in it: "Rückgabefrist? Und was kostet der Versand nach Wien?" is
    answered returns first, though the whole reads as shipping. The message's own topic
    is among the further questions answered next (up to three of them)."""
    selections = message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}
    entry = selections.get(intent)
    first = topics[0]
    if not entry or not first.startswith(f"{intent}/"):
        return
    answered = entry[RESPONSE_SELECTOR_PREDICTION_KEY][INTENT_RESPONSE_KEY]
    if answered == first or answered not in topics:
        return
    confidence = next(
        (
            label[PREDICTED_CONFIDENCE_KEY]
            for label in entry[RESPONSE_SELECTOR_RANKING_KEY]
            if label[INTENT_RESPONSE_KEY] == first
        ),
        0.0,
    )
    if confidence < FIRST_ANSWER_FLOOR:
        return
    reordered = {**selections, intent: answering_first(entry, first, confidence, responses)}
    message.set(RESPONSE_SELECTOR_PROPERTY_NAME, reordered, add_to_output=True)
