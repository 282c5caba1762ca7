"""Run in the Rasa environment by test_tokenizer.py: tokenize each message given as JSON
and print every token's text, lemma and the part of the message it points at."""

from __future__ import annotations

import json
import sys

from rasa.shared.nlu.training_data.message import Message

from bot.rasa_tokenizer import UmlautSpellingTokenizer


def main() -> None:
    tokenizer = UmlautSpellingTokenizer.create(
        UmlautSpellingTokenizer.get_default_config(), None, None, None
    )
    messages = [Message(data={"text": text}) for text in json.loads(sys.argv[1])]
    tokenizer.process(messages)
    print(
        json.dumps(
            [
                [
                    {"text": t.text, "lemma": t.lemma, "source": m.get("text")[t.start : t.end]}
                    for t in m.get("text_tokens")
                ]
                for m in messages
            ]
        )
    )


if __name__ == "__main__":
    main()
