"""The sentence encoder puts a German question next to its English translation and away from
other topics, as one 512-number sentence feature per message with text."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tests.e2e.conftest import PROJECT, require_rasa, run_in_rasa

pytestmark = pytest.mark.e2e

PROBE = PROJECT / "tests" / "e2e" / "sentence_encoder_probe.py"
UMLAUT_PROBE = PROJECT / "tests" / "e2e" / "umlaut_probe.py"


def features(*texts: str) -> list[list[dict[str, Any]]]:
    return list(run_in_rasa(PROBE, json.dumps(texts)))


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.hypot(*a) * math.hypot(*b))


def test_one_sentence_row_per_message_with_text_and_none_without() -> None:
    require_rasa()
    with_text, empty = features("Wie lange sind meine Punkte gültig?", "")

    assert [(f["type"], f["origin"]) for f in with_text] == [("sentence", "sentence_encoder")]
    [row] = with_text[0]["rows"]
    assert len(row) == 512
    assert empty == []


def test_translations_are_closer_than_other_topics() -> None:
    require_rasa()
    texts = [
        "Wie lange sind meine Punkte gültig?",
        "How long are my points valid?",
        "Was kostet der Versand nach Österreich?",
        "How much is shipping to Austria?",
        "Wie wird das Wetter morgen?",
    ]
    points_de, points_en, shipping_de, shipping_en, weather_de = (
        f[0]["rows"][0] for f in features(*texts)
    )

    pairs = [(points_de, points_en, shipping_en), (shipping_de, shipping_en, points_en)]
    for de, en, other in pairs:
        assert cosine(de, en) > cosine(de, other) + 0.2
    assert cosine(points_de, weather_de) < cosine(points_de, points_en) - 0.2


def test_a_german_word_typed_without_umlauts_reaches_the_encoder_with_them() -> None:
    require_rasa()
    typed = ["wie lang hab ich zeit zum zurueckgeben", "Oeffnungszeiten in Koeln und Muenchen"]
    spelled = run_in_rasa(UMLAUT_PROBE, json.dumps(typed))
    assert spelled == [
        "wie lang hab ich zeit zum zurückgeben",
        "Öffnungszeiten in Köln und München",
    ]
    without, with_umlauts = (f[0]["rows"][0] for f in features(typed[0], spelled[0]))
    assert without == with_umlauts


def test_words_whose_ae_oe_ue_is_no_umlaut_stay_as_typed() -> None:
    require_rasa()
    typed = [
        "neue Steuer, aktuell, Bauer, Michael, Israel, Manuel, Duell, Januar",
        "does the blue queue continue? true, Tuesday, request, Boeing, Zoe",
        "Strasse, muss, Grüße",
    ]
    assert run_in_rasa(UMLAUT_PROBE, json.dumps(typed)) == typed
