"""Cutting a customer message into the questions it may hold."""

from __future__ import annotations

import pytest

from bot.question_segments import question_segments


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "Was kostet der Versand nach Österreich? Und wie lange habe ich Zeit?",
            ["Was kostet der Versand nach Österreich?", "wie lange habe ich Zeit?"],
        ),
        ("versandkosten und rückgabefrist?", ["versandkosten", "rückgabefrist?"]),
        (
            "What are your opening hours and do you ship to Austria?",
            ["What are your opening hours", "do you ship to Austria?"],
        ),
        (
            "Can I pay with Klarna, and how long does express take?",
            ["Can I pay with Klarna", "how long does express take?"],
        ),
        (
            "Hallo! Zwei Fragen: 1) Versand in die Schweiz 2) Zahlung auf Rechnung",
            ["Hallo!", "Zwei Fragen", "Versand in die Schweiz", "Zahlung auf Rechnung"],
        ),
        ("Rückgabe geht?\nUnd Umtausch im Laden?", ["Rückgabe geht?", "Umtausch im Laden?"]),
        ("1. Versand nach CH 2. Rechnung?", ["Versand nach CH", "Rechnung?"]),
        ("Außerdem: gibt es Gutscheine?", ["gibt es Gutscheine?"]),
        (
            "shipping to zurich price + do you take apple pay",
            ["shipping to zurich price", "do you take apple pay"],
        ),
        (
            "Versand nach AT? + wie lange hab ich für Rückgaben",
            ["Versand nach AT?", "wie lange hab ich für Rückgaben"],
        ),
    ],
)
def test_several_questions_are_cut_apart(text: str, parts: list[str]) -> None:
    assert question_segments(text) == parts


@pytest.mark.parametrize(
    "text",
    [
        "Kann ich mit PayPal oder Kreditkarte zahlen?",
        "Gibt es für 1.000 Punkte einen 12-€-Gutschein?",
        "wie viel kostet 1 gutschein",
        "Wieviel sind 2.500 Punkte wert?",
        "Ist der 5-€-Gutschein+Versand gratis?",
        "Was ist Nordlicht Home & Style?",
        "Sammle ich mit Miles & More auch Punkte?",
        "Gibt es 5 + 1 gratis?",
    ],
)
def test_one_question_stays_whole(text: str) -> None:
    assert question_segments(text) == [text]


@pytest.mark.parametrize("text", ["", "  ", "?!", "und?", "… und"])
def test_nothing_to_ask_gives_no_part(text: str) -> None:
    assert question_segments(text) == []
