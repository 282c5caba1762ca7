"""Rasa pipeline step: every FAQ and Club topic a message asks about beside its intent.

"Was kostet der Versand nach Österreich und wie lange habe ich für die Rückgabe Zeit?"
gets one intent and one topic from the classifiers before this step, so one answer.
This step cuts the message into its questions (bot/question_segments.py), classifies each
with a logistic regression over topics and the other intents (bot/linear_text_model.py),
and when two or more parts are confident questions on different topics, lists those
topics in the parse as `questions`, in the customer's order. The action that follows the
first answer (actions/topics.py) answers the rest. Beside a person asked for or a
complaint, one confident question is listed too, and the handoff answers it before it
hands over (actions/handoff.py). A part that asks for a person sets `asks_for_person`:
where the message reads as something else (a question, or unclear once the fallback has
judged it), the answers are followed by the handoff (actions/topics.py).

A part about something else ("hallo", "ich hab zwei Fragen") is classified as its intent
and dropped; a part below `threshold` is dropped too, so an unclear part costs an answer,
never a wrong one.

Runs inside Rasa's training and server (config.yml names it), not in the gateway.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.linear_text_model import LinearTextModel
from bot.question_segments import ASKS_FOR_PERSON, QUESTIONS, question_segments
from bot.rasa_linear_component import LinearComponent
from bot.sentence_encoder import shared_encoder

# The intent of asking for a person: a part that asks for one, in a message read as a
# question ("Wie ist eure E-Mail? Und ich will mit jemandem sprechen."), still hands over.
PERSON_INTENT = "request_human"
# The intents that hand over to a person, whose one question beside is answered first.
HANDOFF_INTENTS = (PERSON_INTENT, "complaint")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FurtherQuestionsDetector(IntentClassifier, LinearComponent[LinearTextModel]):  # type: ignore[misc]
    """Lists the topics of a message's questions besides its intent, for the answers after
    the first or before a handoff, and marks a person asked for in a part."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """threshold: the confidence a part needs to count as a question on its topic."""
        return {**LinearComponent.get_default_config(), "threshold": 0.6}

    def train(self, training_data: TrainingData) -> Resource:
        """Fits one classifier over the topics of the retrieval intents and every other
        intent, so a part that is a greeting or a remark is told apart from a question."""
        examples = [m for m in training_data.intent_examples if m.get(INTENT) and m.get(TEXT)]
        labels = [m.get(INTENT_RESPONSE_KEY) or m.get(INTENT) for m in examples]
        return self._keep(self._fit(examples, labels, training_data))

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds `questions` to each message that asks about two or more topics, or about
        one beside a handoff, and `asks_for_person` where a part asks for a person."""
        if self._trained is None:
            return messages
        split = [(m, question_segments(m.get(TEXT) or "")) for m in messages]
        several = [(m, parts) for m, parts in split if len(parts) > 1]
        if not several:
            return messages
        texts = [part for _, parts in several for part in parts]
        rankings = iter(self._trained.rankings(texts, shared_encoder().encode(texts)))
        for message, parts in several:
            topics: list[str] = []
            person = False
            for ranking in (next(rankings) for _ in parts):
                label, confidence = ranking[0]
                if confidence < self._config["threshold"]:
                    continue
                if "/" in label:
                    topics.append(label)
                person = person or label == PERSON_INTENT
            distinct = list(dict.fromkeys(topics))
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if person:
                message.set(ASKS_FOR_PERSON, True, add_to_output=True)
            if len(distinct) > 1 or (distinct and (person or intent in HANDOFF_INTENTS)):
                message.set(QUESTIONS, distinct, add_to_output=True)
        return messages
