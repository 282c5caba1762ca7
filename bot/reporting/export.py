"""The report as CSV for spreadsheets: one row per week, channel and language, totals, comments.

Free text is quoted by the csv module; a comment that starts like a spreadsheet
formula (=, +, -, @) gets a leading apostrophe so the spreadsheet shows it as
text instead of running it.
"""

from __future__ import annotations

import csv
import io

from bot.reporting.metrics import Figures
from bot.reporting.report import Report

FIGURE_COLUMNS = [
    "scope",
    "group",
    "first_day",
    "last_day",
    "csat_percent",
    "csat_ratings",
    "csat_asked",
    "nps",
    "nps_ratings",
    "nps_asked",
    "ces",
    "ces_ratings",
    "ces_asked",
    "questions_asked",
    "ratings",
    "response_rate_percent",
    "conversations",
    "conversations_with_handoff",
    "handoff_rate_percent",
    "containment_percent",
    "handoffs",
    "handoffs_answered",
    "median_wait_minutes",
    "customer_messages",
    "fallback_rate_percent",
]
COMMENT_COLUMNS = ["date", "kind", "score", "channel", "language", "comment"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_csv(report: Report) -> str:
    """The figures table, an empty line, then the latest comments table."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIGURE_COLUMNS)
    period = report.period
    for week, figures in report.weeks:
        first, last = max(week.monday, period.first), min(week.sunday, period.last)
        writer.writerow(_row("week", week.label, str(first), str(last), figures))
    span = (str(period.first), str(period.last))
    for channel, figures in report.channels:
        writer.writerow(_row("channel", channel, *span, figures))
    for language, figures in report.languages:
        writer.writerow(_row("language", language, *span, figures))
    writer.writerow(_row("total", "all", *span, report.overall))
    writer.writerow([])
    writer.writerow(COMMENT_COLUMNS)
    for rating in report.comments:
        writer.writerow(
            [
                period.day_of(rating.at).isoformat(),
                rating.kind,
                "" if rating.score is None else rating.score,
                rating.channel,
                rating.language,
                _text_cell(rating.comment or ""),
            ]
        )
    return out.getvalue()


def _row(scope: str, group: str, first: str, last: str, f: Figures) -> list[object]:
    wait = None if f.median_wait_seconds is None else f.median_wait_seconds / 60
    return [
        scope,
        _text_cell(group),
        first,
        last,
        _number(f.csat.score),
        f.csat.rated,
        f.csat.asked,
        _number(f.nps.score),
        f.nps.rated,
        f.nps.asked,
        _number(f.ces.score, 2),
        f.ces.rated,
        f.ces.asked,
        f.asked,
        f.rated,
        _number(f.response_rate),
        f.conversations,
        f.with_handoff,
        _number(f.handoff_rate),
        _number(f.containment),
        f.handoffs,
        f.answered_handoffs,
        _number(wait),
        "" if f.user_messages is None else f.user_messages,
        _number(f.fallback_rate),
    ]


def _number(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _text_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text
