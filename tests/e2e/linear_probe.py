"""Run in the Rasa environment by test_linear_components.py: train a
linear component (`intents` or `topics`), or the pipeline's part that finds several
questions in a message (`questions`: intents, topics and the several-questions step), on
the examples given as JSON ({label: [texts]};
a label like `faq/returns` is a retrieval intent's topic), store and load it as Rasa does,
train it once more, and print the parse of each message given as a third JSON list by the
trained, the loaded and the retrained one, with the response Rasa's `utter_<retrieval intent>`
action would send. A fourth argument names a Rasa NLU file whose lookup tables the training
data gets, read by Rasa's own loader."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from rasa.core.actions.action import ActionRetrieveResponse
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa_further_questions import FurtherQuestionsDetector
from bot.rasa_linear_component import LinearComponent
from bot.rasa_linear_intents import LinearIntentClassifier
from bot.rasa_linear_topics import LinearTopicSelector
from bot.rasa_sentence_encoder import SentenceEncoderFeaturizer

PIPELINES: dict[str, list[type[LinearComponent[Any]]]] = {
    "intents": [LinearIntentClassifier],
    "topics": [LinearTopicSelector],
    "questions": [LinearIntentClassifier, LinearTopicSelector, FurtherQuestionsDetector],
}


def example(label: str, text: str) -> Message:
    intent, _, topic = label.partition("/")
    data = {TEXT: text, INTENT: intent}
    if topic:
        data[INTENT_RESPONSE_KEY] = label
    return Message(data=data)


def retrieval_actions(parse: dict[str, Any]) -> dict[str, str | None]:
    """The response each `utter_<retrieval intent>` action of Rasa's would choose."""
    tracker = DialogueStateTracker.from_events(
        "probe", [UserUttered(parse[TEXT], parse_data=parse)]
    )
    selectors = parse.get("response_selector") or {}
    return {
        name: ActionRetrieveResponse(f"utter_{name}").get_full_retrieval_name(tracker)
        for name in selectors.get("all_retrieval_intents", [])
    }


def train(
    pipeline: list[type[LinearComponent[Any]]],
    storage: LocalModelStorage,
    training: TrainingData,
    suffix: str,
) -> list[LinearComponent[Any]]:
    """Each component of the pipeline trained and stored, under its name and `suffix`."""
    components = [c.create({}, storage, Resource(c.__name__ + suffix), None) for c in pipeline]
    for component in components:
        component.train(training)
    return components


def main() -> None:
    pipeline = PIPELINES[sys.argv[1]]
    examples = json.loads(sys.argv[2])
    encoder = SentenceEncoderFeaturizer(SentenceEncoderFeaturizer.get_default_config(), "encoder")
    training = TrainingData(
        training_examples=[
            example(label, text) for label, texts in examples.items() for text in texts
        ],
        responses={
            f"utter_{label}": [{TEXT: f"answer for {label}"}] for label in examples if "/" in label
        },
        lookup_tables=load_data(sys.argv[4]).lookup_tables if len(sys.argv) > 4 else None,
    )
    encoder.process_training_data(training)
    with tempfile.TemporaryDirectory() as folder:
        storage = LocalModelStorage(Path(folder))
        trained = train(pipeline, storage, training, "")
        loaded = [c.load({}, storage, Resource(c.__name__), None) for c in pipeline]
        retrained = train(pipeline, storage, training, "-again")
        parses = {}
        runs = [("trained", trained), ("loaded", loaded), ("retrained", retrained)]
        for name, components in runs:
            messages = encoder.process(
                [Message(data={TEXT: text}) for text in json.loads(sys.argv[3])]
            )
            for component in components:
                component.process(messages)
            outputs = [
                {TEXT: m.get(TEXT), **m.as_dict(only_output_properties=True)} for m in messages
            ]
            parses[name] = [
                {**output, "retrieval_actions": retrieval_actions(output)} for output in outputs
            ]
    print(json.dumps(parses))


if __name__ == "__main__":
    main()
