"""Run in the Rasa environment by test_linear_components.py: train a
linear component (`intents` or `topics`) on the examples given as JSON ({label: [texts]};
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

from bot.rasa_linear_component import LinearComponent
from bot.rasa_linear_intents import LinearIntentClassifier
from bot.rasa_linear_topics import LinearTopicSelector
from bot.rasa_sentence_encoder import SentenceEncoderFeaturizer

COMPONENTS: dict[str, type[LinearComponent[Any]]] = {
    "intents": LinearIntentClassifier,
    "topics": LinearTopicSelector,
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


def main() -> None:
    component = COMPONENTS[sys.argv[1]]
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
        resource = Resource(sys.argv[1])
        trained = component.create({}, storage, resource, None)
        trained.train(training)
        loaded = component.load({}, storage, resource, None)
        retrained = component.create({}, storage, Resource(f"{sys.argv[1]}-again"), None)
        retrained.train(training)
        parses = {}
        runs = [("trained", trained), ("loaded", loaded), ("retrained", retrained)]
        for name, classifier in runs:
            messages = [Message(data={TEXT: text}) for text in json.loads(sys.argv[3])]
            classifier.process(encoder.process(messages))
            outputs = [
                {TEXT: m.get(TEXT), **m.as_dict(only_output_properties=True)} for m in messages
            ]
            parses[name] = [
                {**output, "retrieval_actions": retrieval_actions(output)} for output in outputs
            ]
    print(json.dumps(parses))


if __name__ == "__main__":
    main()
