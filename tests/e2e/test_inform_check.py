"""In the Rasa server, `inform` is the message that gives a member number or a date."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import PROJECT, require_rasa, run_in_rasa

pytestmark = pytest.mark.e2e

PROBE = PROJECT / "tests" / "e2e" / "inform_check_probe.py"

CASES = [
    ("nl 100 234", "inform", "inform"),
    ("geboren bin ich am 12.4.88", "inform", "inform"),
    ("born on April 12th 1988", "inform", "inform"),
    ("wer hat 2014 die WM gewonnen", "inform", "nlu_fallback"),
    ("what is 12 times 7", "inform", "nlu_fallback"),
    ("NL-1234", "inform", "nlu_fallback"),
    ("was kostet der versand", "faq", "faq"),
    ("ich gebe euch 4 von 5", "rate", "rate"),
    ("9", "rate", "rate"),
    ("104 552", "rate", "inform"),
    ("22.3.1990", "rate", "inform"),
]


def test_details_decide_inform() -> None:
    require_rasa()
    parses = run_in_rasa(PROBE, json.dumps([[text, given] for text, given, _ in CASES]))

    assert [parse["intent"]["name"] for parse in parses] == [want for *_, want in CASES]
    for parse, (_, given, want) in zip(parses, CASES, strict=True):
        if want != given:
            assert parse["intent"]["confidence"] == 0.9
            assert parse["ranking"] == [want, given, "faq"]
        else:
            assert parse["ranking"] == [given, "faq"]
