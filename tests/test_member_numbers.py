"""Member numbers are read the way customers type them."""

from __future__ import annotations

import pytest

from bot.member_numbers import normalise_member_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NL-100234", "NL-100234"),
        ("nl100234", "NL-100234"),
        ("meine Nummer ist NL 100 234", "NL-100234"),
        ("NL-100-234", "NL-100234"),
        ("100234", "NL-100234"),
        ("1002345", None),
        ("12.04.1988", None),
        ("keine Ahnung", None),
    ],
)
def test_member_numbers_are_read_as_typed(text: str, expected: str | None) -> None:
    assert normalise_member_number(text) == expected
