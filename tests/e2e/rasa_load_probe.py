"""Run in the Rasa environment by test_rasa_components.py: load the model, the lean way or
Rasa's own, parse a few messages and print the parses and the resident memory as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from rasa.core.agent import Agent
from rasa.utils.tensorflow.models import RasaModel

from bot import rasa_components

MESSAGES = [
    "Wann habt ihr am Samstag offen?",
    "was kostet der versand in die schweiz",
    "wie viele punkte gibts pro euro",
    "Wie viele Punkte habe ich?",
    "ich gebe euch 4 von 5",
    "Wer wird Fussballweltmeister?",
    "How long do I have to return something?",
    "what tiers does the club have",
    "I want to talk to a human",
    "thanks, bye",
]


def resident_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) // 1024


def summary(parse: dict[str, Any]) -> dict[str, Any]:
    selectors = parse.get("response_selector") or {}
    return {
        "intent": parse["intent"]["name"],
        "confidence": round(float(parse["intent"]["confidence"]), 6),
        "topics": {
            name: (selector.get("response") or {}).get("intent_response_key")
            for name, selector in selectors.items()
            if name != "all_retrieval_intents"
        },
        "entities": sorted((e["entity"], str(e["value"])) for e in parse.get("entities") or []),
    }


async def parse_all(model: str) -> list[dict[str, Any]]:
    agent = Agent.load(model)
    return [summary(await agent.parse_message(text)) for text in MESSAGES]


def main() -> None:
    model, how = sys.argv[1], sys.argv[2]
    if how == "rasa":
        # Rasa's own loading, for the same component classes.
        rasa_components._BuiltByPrediction.load = classmethod(  # type: ignore[method-assign,assignment]
            RasaModel.load.__func__
        )
    parses = asyncio.run(parse_all(model))
    print(json.dumps({"parses": parses, "resident_mb": resident_mb()}))


if __name__ == "__main__":
    main()
