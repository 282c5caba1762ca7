"""Run in the Rasa environment by test_linear_intents.py: train the linear intent classifier on
the examples given as JSON ({intent: [texts]}), store and load it as Rasa does, and print the
parse of each message given as a second JSON list by both the trained and the loaded one."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa_linear_intents import LinearIntentClassifier
from bot.rasa_sentence_encoder import SentenceEncoderFeaturizer


def main() -> None:
    examples = json.loads(sys.argv[1])
    encoder = SentenceEncoderFeaturizer(SentenceEncoderFeaturizer.get_default_config(), "encoder")
    training = TrainingData(
        training_examples=[
            Message(data={TEXT: text, INTENT: intent})
            for intent, texts in examples.items()
            for text in texts
        ]
    )
    encoder.process_training_data(training)
    with tempfile.TemporaryDirectory() as folder:
        storage = LocalModelStorage(Path(folder))
        resource = Resource("linear_intents")
        trained = LinearIntentClassifier.create({}, storage, resource, None)
        trained.train(training)
        loaded = LinearIntentClassifier.load({}, storage, resource, None)
        parses = {}
        for name, classifier in [("trained", trained), ("loaded", loaded)]:
            messages = [Message(data={TEXT: text}) for text in json.loads(sys.argv[2])]
            classifier.process(encoder.process(messages))
            parses[name] = [
                {"intent": m.get(INTENT), "ranking": m.get("intent_ranking")} for m in messages
            ]
    print(json.dumps(parses))


if __name__ == "__main__":
    main()
