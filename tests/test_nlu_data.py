"""The held-out NLU set stays held out: none of its messages is in the training data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.nlu_data import read_examples

PROJECT = Path(__file__).resolve().parent.parent
_FOLDS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _normalised(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower().translate(_FOLDS)).strip()


@pytest.mark.parametrize("language", ["de", "en"])
def test_no_held_out_message_is_trained_on(language: str) -> None:
    trained = {_normalised(e.text) for e in read_examples(PROJECT / "data" / "nlu" / language)}
    held_out = read_examples(PROJECT / "tests" / "nlu" / language)
    leaked = sorted(e.text for e in held_out if _normalised(e.text) in trained)
    assert leaked == []
    assert len(held_out) > 500
