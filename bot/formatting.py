"""Numbers and amounts written the way each language writes them (1.250 vs 1,250)."""

from __future__ import annotations

import datetime as dt


def format_number(value: int, language: str) -> str:
    """Thousands separated by a dot in German and a comma in English."""
    grouped = f"{value:,}"
    return grouped.replace(",", ".") if language == "de" else grouped


def format_euros(cents: int, language: str) -> str:
    """`4,95 €` in German, `€4.95` in English; whole amounts without decimals."""
    euros, rest = divmod(cents, 100)
    amount = format_number(euros, language)
    if rest:
        amount += ("," if language == "de" else ".") + f"{rest:02d}"
    return f"{amount} €" if language == "de" else f"€{amount}"


def format_date(day: dt.date, language: str) -> str:
    """`31.12.2026` in German, `31 Dec 2026` in English."""
    return f"{day:%d.%m.%Y}" if language == "de" else f"{day.day} {day:%b %Y}"


def format_points(points: int, language: str) -> str:
    """A booking with its sign, `+310` or `−500`, grouped like other numbers."""
    sign = "+" if points >= 0 else "−"
    return sign + format_number(abs(points), language)
