"""In the Rasa pipeline, "Rückgabe" and "rueckgabe" are one word; the message keeps its spelling."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import PROJECT, require_rasa, run_in_rasa

pytestmark = pytest.mark.e2e

PROBE = PROJECT / "tests" / "e2e" / "tokenizer_probe.py"


def tokens(*texts: str) -> list[list[dict[str, str]]]:
    return list(run_in_rasa(PROBE, json.dumps(texts)))


def test_umlauts_are_spelled_out_in_tokens_only() -> None:
    require_rasa()
    [respelled] = tokens("Rückgabe für Größe XL? Grüße, ÄRGER!")

    assert [t["text"] for t in respelled] == [
        "Rueckgabe",
        "fuer",
        "Groesse",
        "XL",
        "Gruesse",
        "AeRGER",
    ]
    assert [t["lemma"] for t in respelled] == [t["text"] for t in respelled]
    assert [t["source"] for t in respelled] == ["Rückgabe", "für", "Größe", "XL", "Grüße", "ÄRGER"]


def test_both_spellings_give_the_same_tokens_and_other_words_stay() -> None:
    require_rasa()
    with_umlauts, without, english = tokens(
        "wie läuft die rücksendung", "wie laeuft die ruecksendung", "shipping to the UK, 4.99 €"
    )

    assert [t["text"] for t in with_umlauts] == [t["text"] for t in without]
    assert [t["text"] for t in english] == ["shipping", "to", "the", "UK", "4.99"]
