"""Run in the Rasa environment by test_sentence_encoder.py: print the spelling the encoder
is given for each text given as JSON."""

from __future__ import annotations

import json
import sys

from bot.sentence_encoder import SentenceEncoder


def main() -> None:
    encoder = SentenceEncoder()
    print(json.dumps([encoder.with_umlauts(text) for text in json.loads(sys.argv[1])]))


if __name__ == "__main__":
    main()
