"""Run in the Rasa environment by test_inform_check.py: pass messages, each already filed
under an intent, through the inform check and print the intents it leaves as JSON."""

from __future__ import annotations

import json
import sys

from rasa.shared.nlu.training_data.message import Message

from bot.rasa_inform_check import InformNeedsDetails


def classified(text: str, intent: str) -> Message:
    ranking = [{"name": intent, "confidence": 0.9}, {"name": "faq", "confidence": 0.05}]
    return Message(data={"text": text, "intent": dict(ranking[0]), "intent_ranking": ranking})


def main() -> None:
    messages = [classified(text, intent) for text, intent in json.loads(sys.argv[1])]
    InformNeedsDetails.create({}, None, None, None).process(messages)
    print(
        json.dumps(
            [
                {
                    "intent": message.get("intent"),
                    "ranking": [ranked["name"] for ranked in message.get("intent_ranking")],
                }
                for message in messages
            ]
        )
    )


if __name__ == "__main__":
    main()
