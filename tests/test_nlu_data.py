"""The held-out NLU set stays held out: none of its messages is in the training data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu_data import read_examples
from bot.nlu_overlap import word_list

PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("language", ["de", "en"])
def test_no_held_out_message_is_trained_on(language: str) -> None:
    trained = {tuple(word_list(e.text)) for e in read_examples(PROJECT / "data" / "nlu" / language)}
    held_out = read_examples(PROJECT / "tests" / "nlu" / language)
    leaked = sorted(e.text for e in held_out if tuple(word_list(e.text)) in trained)
    assert leaked == []
    assert len(held_out) > 500
