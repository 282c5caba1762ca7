"""Reads a date of birth the way customers type it, in German or English.

Accepted: 12.04.1988, 12.4.88, 12/04/1988, 12-04-1988, 1988-04-12, 1988/04/12,
"12. April 1988", "12 Apr 1988", "April 12, 1988", "April 12th 1988". Numeric
dates are read day first (year first when it has four digits), as everywhere in
the shop's markets. Anything unclear gives None, so the bot asks again instead
of guessing.
"""

from __future__ import annotations

import datetime as dt
import re

_MONTH_NAMES = (
    ("jan", "januar", "january", "jänner", "jaenner"),
    ("feb", "februar", "february", "feber"),
    ("mar", "mär", "maerz", "märz", "march"),
    ("apr", "april"),
    ("mai", "may"),
    ("jun", "juni", "june"),
    ("jul", "juli", "july"),
    ("aug", "august"),
    ("sep", "sept", "september"),
    ("okt", "oct", "oktober", "october"),
    ("nov", "november"),
    ("dez", "dec", "dezember", "december"),
)
MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names}

OLDEST_AGE_YEARS = 120

_MONTH = r"(?P<month_name>[a-zäöü]{3,9})\.?"
_YEAR = r"(?P<year>\d{4}|\d{2})"
_PATTERNS = (
    re.compile(r"(?<![\d-])(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?!\d)"),
    re.compile(rf"(?<![\d-])(?P<day>\d{{1,2}})[./-](?P<month>\d{{1,2}})[./-]{_YEAR}(?!\d)"),
    re.compile(rf"(?<!\d)(?P<day>\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?{_MONTH},?\s+{_YEAR}\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}\b"),
)


def parse_birth_date(text: str, *, today: dt.date) -> dt.date | None:
    """The one date of birth in `text`, or None when there is none or it is impossible."""
    lowered = text.lower()
    for pattern in _PATTERNS:
        match = pattern.search(lowered)
        if match is None:
            continue
        found = _to_date(match.groupdict(), today)
        if found is not None:
            return found
    return None


def _to_date(parts: dict[str, str | None], today: dt.date) -> dt.date | None:
    month_name = parts.get("month_name")
    month = MONTHS.get(month_name or "") if month_name else int(parts["month"] or 0)
    if not month:
        return None
    year_text = parts["year"] or ""
    year = int(year_text)
    if len(year_text) == 2:
        # A two-digit year of birth is in the past: "88" is 1988, "05" is 2005.
        year += 2000 if year <= today.year % 100 else 1900
    try:
        born = dt.date(year, month, int(parts["day"] or 0))
    except ValueError:
        return None
    if born > today or today.year - born.year > OLDEST_AGE_YEARS:
        return None
    return born
