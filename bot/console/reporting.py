"""What the console shows of ratings and reports: the reports page and the card's ratings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Response
from sqlalchemy.orm import Session, sessionmaker

from bot import identity
from bot.clock import business_today, time_zone
from bot.db.orm import Handoff
from bot.reporting import charts, formatting, queries, tracker
from bot.reporting.charts import BarChart, Domain, LineChart
from bot.reporting.export import to_csv
from bot.reporting.metrics import Figures
from bot.reporting.period import Period, parse_period
from bot.reporting.report import Report, report
from bot.settings import StackSettings

PERCENT = Domain(0, 100, 25)
NPS = Domain(-100, 100, 50)
CES = Domain(1, 7, 1)
FILTERS: dict[str, Callable[..., str]] = {
    "percent": formatting.percent,
    "nps": formatting.nps,
    "mean": lambda value: formatting.mean(value, "de"),
    "duration": formatting.duration,
    "kind_name": formatting.kind_name,
    "score": formatting.score,
}
"""Jinja filters the report templates use (the console is German: 4,2)."""
PERIOD_HELP = (
    "Bitte einen gültigen Zeitraum wählen: Daten als JJJJ-MM-TT, der Beginn nicht nach dem Ende,"
    " höchstens drei Jahre."
)


@dataclass(frozen=True)
class RecentRating:
    """One of the customer's latest ratings on the conversation card."""

    kind: str
    score: str
    day: str
    comment: str | None


async def requested_report(query: Mapping[str, str], sessions: sessionmaker[Session]) -> Report:
    """The report for the `from`/`to` query parameters (default: the last 12 weeks).

    Raises PeriodError for a malformed, reversed or too long range.
    """
    period = parse_period(
        query.get("from"), query.get("to"), today=business_today(), time_zone=ZoneInfo(time_zone())
    )
    return await asyncio.to_thread(load_report, sessions, period)


def load_report(sessions: sessionmaker[Session], period: Period) -> Report:
    """The report for `period`, reading Rasa's tracker store where `make run` puts it."""
    url = tracker.reporting_url(StackSettings().tracker_store_url())
    with sessions() as session:
        return report(session, period=period, tracker_url=url)


def csv_download(result: Report) -> Response:
    """The report as a CSV file named after its range."""
    name = f"nordlicht-report-{result.period.first}-{result.period.last}.csv"
    return Response(
        to_csv(result),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def page_context(result: Report) -> dict[str, Any]:
    """Everything reports.html shows: summary, charts per week and per group, comments."""
    period = result.period
    span = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    return {
        "report": result,
        "first": span["from"],
        "last": span["to"],
        "csv_url": "/console/reports.csv?" + urlencode(span),
        "week_charts": week_charts(result),
        "groups": [
            ("Nach Kanal", "Kanal", result.channels, group_charts("Kanal", result.channels)),
            (
                "Nach Sprache",
                "Sprache",
                result.languages,
                group_charts("Sprache", result.languages),
            ),
        ],
        "comments": [
            (
                period.day_of(c.at).strftime("%d.%m.%Y"),
                c.kind,
                c.score,
                c.channel,
                c.language,
                c.comment,
            )
            for c in result.comments
        ],
    }


def week_charts(result: Report) -> list[LineChart]:
    """The figures over time, one point per ISO week."""
    labels = [f"KW {week.number}" for week, _ in result.weeks]
    weeks = [figures for _, figures in result.weeks]

    def line(
        title: str,
        domain: Domain,
        fmt: Callable[[float | None], str],
        *series: tuple[str, str, Callable[[Figures], float | None]],
    ) -> LineChart:
        return charts.line_chart(
            title,
            x_labels=labels,
            series=[(name, css, [value(f) for f in weeks]) for name, css, value in series],
            domain=domain,
            fmt=fmt,
        )

    waits = [None if f.median_wait_seconds is None else f.median_wait_seconds / 60 for f in weeks]
    return [
        line(
            "Zufriedenheit (CSAT: Anteil 4–5)",
            PERCENT,
            formatting.percent,
            ("CSAT", "s1", lambda f: f.csat.score),
        ),
        line(
            "Weiterempfehlung (NPS)",
            NPS,
            formatting.nps,
            ("NPS", "s1", lambda f: f.nps.score),
        ),
        line(
            "Aufwand (CES: Mittel 1–7, niedriger ist besser)",
            CES,
            FILTERS["mean"],
            ("CES", "s1", lambda f: f.ces.score),
        ),
        line(
            "Übergaben an Menschen und nicht Verstandenes",
            PERCENT,
            formatting.percent,
            ("Übergabequote", "s1", lambda f: f.handoff_rate),
            ("Fallback-Quote", "s2", lambda f: f.fallback_rate),
            ("Antwortquote Bewertungen", "s3", lambda f: f.response_rate),
        ),
        charts.line_chart(
            "Wartezeit bis zur ersten Antwort (Median, Minuten)",
            x_labels=labels,
            series=[("Wartezeit", "s1", waits)],
            domain=charts.nice_domain(waits),
            fmt=lambda minutes: formatting.duration(None if minutes is None else minutes * 60),
        ),
    ]


def group_charts(name: str, groups: list[tuple[str, Figures]]) -> list[BarChart]:
    """CSAT, NPS and handoff rate side by side for each channel or language."""
    return [
        charts.bar_chart(
            f"CSAT je {name}",
            rows=[(label, f.csat.score) for label, f in groups],
            domain=PERCENT,
            fmt=formatting.percent,
        ),
        charts.bar_chart(
            f"NPS je {name}",
            rows=[(label, f.nps.score) for label, f in groups],
            domain=NPS,
            fmt=formatting.nps,
        ),
        charts.bar_chart(
            f"Übergabequote je {name}",
            rows=[(label, f.handoff_rate) for label, f in groups],
            domain=PERCENT,
            fmt=formatting.percent,
        ),
    ]


def recent_ratings(session: Session, item: Handoff) -> list[RecentRating]:
    """The customer's last three ratings (any of their chats), or this chat's if unverified."""
    customer = identity.linked_customer(session, item.conversation.sender_id)
    zone = ZoneInfo(time_zone())
    return [
        RecentRating(
            kind=formatting.kind_name(r.kind),
            score=formatting.score(r.kind, r.score),
            day=r.at.astimezone(zone).strftime("%d.%m.%Y"),
            comment=r.comment,
        )
        for r in queries.recent_ratings(
            session,
            conversation_id=item.conversation_id,
            customer_id=customer.id if customer else None,
        )
    ]
