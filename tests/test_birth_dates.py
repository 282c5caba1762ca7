"""Dates of birth are read in the ways German and English speakers type them."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.birth_dates import parse_birth_date

TODAY = dt.date(2026, 11, 23)
ANNA = dt.date(1988, 4, 12)


@pytest.mark.parametrize(
    "text",
    [
        "12.04.1988",
        "12.4.88",
        "1988-04-12",
        "12. April 1988",
        "April 12, 1988",
        "april 12th 1988",
        "12th of April 1988",
        "12 Apr 1988",
        "12/04/1988",
        "12-04-1988",
        "1988/04/12",
        "1988.04.12",
        "geboren bin ich am 12.04.1988",
        "NL-100234 und 12.4.1988",
    ],
)
def test_accepted_spellings(text: str) -> None:
    assert parse_birth_date(text, today=TODAY) == ANNA


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3. März 05", dt.date(2005, 3, 3)),
        ("1.1.26", dt.date(2026, 1, 1)),
        ("2.11.79", dt.date(1979, 11, 2)),
        ("30. Jänner 1960", dt.date(1960, 1, 30)),
    ],
)
def test_two_digit_years_and_variants_lie_in_the_past(text: str, expected: dt.date) -> None:
    assert parse_birth_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    "text",
    ["NL-100234", "morgen", "31.02.1990", "12.04.2030", "12.04.1850", "1988", "12 04 1988", ""],
)
def test_unclear_or_impossible_dates_are_refused(text: str) -> None:
    assert parse_birth_date(text, today=TODAY) is None
