"""The held-out NLU set stays held out: none of its messages is in the training data, and every
intent has enough messages worded differently from it to be measured on new wordings."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from bot.nlu_data import Example, read_examples
from bot.nlu_overlap import near_copies, word_list

PROJECT = Path(__file__).resolve().parent.parent
FRESH_PER_INTENT = 15


@cache
def _examples(folder: str, language: str) -> tuple[Example, ...]:
    """Each language's training ("data") or held-out ("tests") examples, read once per run."""
    return tuple(read_examples(PROJECT / folder / "nlu" / language))


@pytest.mark.parametrize("language", ["de", "en"])
def test_no_held_out_message_is_trained_on(language: str) -> None:
    trained = {tuple(word_list(e.text)) for e in _examples("data", language)}
    held_out = _examples("tests", language)
    leaked = sorted(e.text for e in held_out if tuple(word_list(e.text)) in trained)
    assert leaked == []
    assert len(held_out) > 500


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_intent_has_enough_new_wordings(language: str) -> None:
    training = _examples("data", language)
    held_out = _examples("tests", language)
    near = near_copies(held_out, training)
    fresh = Counter(e.intent for e in held_out if e.text not in near)
    short = {
        intent: fresh[intent]
        for intent in sorted({e.intent for e in training})
        if fresh[intent] < FRESH_PER_INTENT
    }
    assert short == {}
