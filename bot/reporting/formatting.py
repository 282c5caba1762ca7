"""Report figures as people read them: "70 %", "+30", "4,2", "12 min", and "–" for no data."""

from __future__ import annotations

import unicodedata

NO_DATA = "–"
KIND_NAMES = {"csat": "CSAT", "nps": "NPS", "ces": "CES"}
SCALE_TOP = {"csat": 5, "nps": 10, "ces": 7}


def percent(value: float | None) -> str:
    """A share, rounded to whole percent."""
    return NO_DATA if value is None else f"{value:.0f} %"


def nps(value: float | None) -> str:
    """An NPS with its sign (+30, −100); 0 has none."""
    if value is None:
        return NO_DATA
    rounded = round(value)
    return "0" if rounded == 0 else f"+{rounded}" if rounded > 0 else f"−{-rounded}"


def mean(value: float | None, language: str = "en") -> str:
    """A mean score with one decimal (4.2, in German 4,2)."""
    if value is None:
        return NO_DATA
    text = f"{value:.1f}"
    return text.replace(".", ",") if language == "de" else text


def duration(seconds: float | None) -> str:
    """A wait: seconds under a minute, minutes under an hour, else hours and minutes."""
    if seconds is None:
        return NO_DATA
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def kind_name(kind: str) -> str:
    """CSAT, NPS or CES."""
    return KIND_NAMES.get(kind, kind)


def score(kind: str, value: int | None) -> str:
    """A single rating on its scale, e.g. `4/5`."""
    return NO_DATA if value is None else f"{value}/{SCALE_TOP.get(kind, '?')}"


def printable(text: str) -> str:
    """Free text made safe for a terminal: control characters (escape sequences) become visible."""
    return "".join(repr(c)[1:-1] if unicodedata.category(c) in ("Cc", "Cf") else c for c in text)
