"""Run in the Rasa environment by test_sentence_encoder.py: featurize the messages given as
JSON and print each one's sentence feature rows from the encoder, as lists of numbers."""

from __future__ import annotations

import json
import sys

from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa_sentence_encoder import SentenceEncoderFeaturizer


def main() -> None:
    featurizer = SentenceEncoderFeaturizer(
        SentenceEncoderFeaturizer.get_default_config(), "sentence_encoder"
    )
    messages = [Message(data={TEXT: text} if text else {}) for text in json.loads(sys.argv[1])]
    featurizer.process_training_data(TrainingData(training_examples=messages))
    print(
        json.dumps(
            [
                [
                    {"type": f.type, "origin": f.origin, "rows": f.features.tolist()}
                    for f in m.features
                ]
                for m in messages
            ]
        )
    )


if __name__ == "__main__":
    main()
