"""Whether a message carries the details the verification form asks for.

The `inform` intent means "here is my member number or date of birth". A message
the classifier files there but that holds neither ("wann ist das nächste
Formel-1-Rennen?", "solve 2x + 5 = 15": digits alone pull towards it) is not
understood, and saying so beats starting a verification nobody asked for.
"""

from __future__ import annotations

import datetime as dt

from bot.birth_dates import parse_birth_date
from bot.member_numbers import normalise_member_number


def gives_details(text: str, *, today: dt.date) -> bool:
    """Whether the text holds a member number or a plausible date of birth."""
    return normalise_member_number(text) is not None or (
        parse_birth_date(text, today=today) is not None
    )
