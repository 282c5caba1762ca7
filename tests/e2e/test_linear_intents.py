"""The linear intent classifier learns intents from examples in both languages, answers new
wordings and the other language's, and reads back from Rasa's model storage unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import PROJECT, require_rasa, run_in_rasa

pytestmark = pytest.mark.e2e

PROBE = PROJECT / "tests" / "e2e" / "linear_intents_probe.py"

EXAMPLES = {
    "shipping": [
        "Was kostet der Versand?",
        "Wie hoch sind die Versandkosten nach Österreich?",
        "versand kosten?",
        "How much is shipping?",
        "What does delivery to Switzerland cost?",
    ],
    "returns": [
        "Wie kann ich etwas zurückschicken?",
        "Rücksendung, wie geht das?",
        "rueckgabe moeglich?",
        "How do I return an item?",
        "Can I send my order back?",
    ],
    "greet": ["Hallo", "Guten Morgen", "Moin!", "Hello", "Hi there", "Good evening"],
}


def parses(*texts: str) -> dict[str, list[dict[str, Any]]]:
    return dict(run_in_rasa(PROBE, json.dumps(EXAMPLES), json.dumps(texts)))


def test_new_wordings_get_their_intent_with_a_sorted_ranking() -> None:
    require_rasa()
    texts = ["wieviel kostet die lieferung", "I want to send this back", "hallo zusammen"]

    result = parses(*texts)

    assert [p["intent"]["name"] for p in result["trained"]] == ["shipping", "returns", "greet"]
    for parse in result["trained"]:
        confidences = [label["confidence"] for label in parse["ranking"]]
        assert confidences == sorted(confidences, reverse=True)
        assert parse["intent"] == parse["ranking"][0]
        assert sum(confidences) == pytest.approx(1.0)
    assert result["loaded"] == result["trained"]
