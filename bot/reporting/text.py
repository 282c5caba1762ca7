"""The report as plain-text tables for a terminal (`python -m bot report`)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.reporting import formatting as fmt
from bot.reporting.metrics import Figures, KindFigures
from bot.reporting.report import Report

GROUP_HEADERS = [
    "CSAT",
    "n",
    "NPS",
    "n",
    "CES",
    "n",
    "rated/asked",
    "conv.",
    "handoff",
    "contained",
    "median wait",
    "fallback",
]


def render(report: Report) -> str:
    """Summary, then the figures per week, channel and language, top intents and comments."""
    period, o = report.period, report.overall
    lines = [
        f"Service report {period.first} to {period.last} ({period.time_zone.key})",
        "",
        *_summary(o, report.tracker_unavailable),
        "",
        "Per ISO week",
        *table(
            ["week", *GROUP_HEADERS],
            [[w.label, *_cells(f)] for w, f in report.weeks] + [["total", *_cells(o)]],
        ),
    ]
    for title, groups in (("Per channel", report.channels), ("Per language", report.languages)):
        lines += ["", title]
        lines += table(["", *GROUP_HEADERS], [[fmt.printable(g), *_cells(f)] for g, f in groups])
    lines += ["", "Top intents (customer messages in Rasa's tracker store)"]
    if report.tracker_unavailable:
        lines.append(f"  unavailable: {fmt.printable(report.tracker_unavailable)}")
    else:
        lines += table(
            ["intent", "messages", "share"],
            [
                [fmt.printable(i.intent), str(i.count), fmt.percent(i.share)]
                for i in report.top_intents
            ],
        )
    lines += ["", "Latest comments"]
    lines += table(
        ["date", "rating", "channel", "lang", "comment"],
        [
            [
                period.day_of(c.at).isoformat(),
                f"{fmt.kind_name(c.kind)} {fmt.score(c.kind, c.score)}",
                fmt.printable(c.channel),
                fmt.printable(c.language),
                fmt.printable(c.comment or ""),
            ]
            for c in report.comments
        ],
    )
    return "\n".join(lines) + "\n"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell, indented; '(none)' when there are no rows."""
    if not rows:
        return ["  (none)"]
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=True)]
        return ("  " + "  ".join(padded)).rstrip()

    return [line(headers), *(line(row) for row in rows)]


def _summary(o: Figures, unavailable: str | None) -> list[str]:
    def ratings(k: KindFigures) -> str:
        return f"{k.rated} ratings, {k.asked} asked (response rate {fmt.percent(k.response_rate)})"

    fallback = (
        f"unavailable: {fmt.printable(unavailable)}"
        if unavailable
        else f"{o.fallbacks} of {o.user_messages} customer messages"
    )
    return table(
        ["figure", "value", "based on"],
        [
            ["CSAT (share of 4-5)", fmt.percent(o.csat.score), ratings(o.csat)],
            ["NPS (promoters - detractors)", fmt.nps(o.nps.score), ratings(o.nps)],
            ["CES (mean, 1-7)", fmt.mean(o.ces.score), ratings(o.ces)],
            ["Response rate", fmt.percent(o.response_rate), f"{o.rated} of {o.asked} questions"],
            ["Resolved without handoff", fmt.percent(o.containment), f"{o.conversations} conv."],
            [
                "Handoff rate",
                fmt.percent(o.handoff_rate),
                f"{o.with_handoff} of {o.conversations} conversations",
            ],
            [
                "Median wait for an agent",
                fmt.duration(o.median_wait_seconds),
                f"{o.answered_handoffs} of {o.handoffs} handoffs answered",
            ],
            ["Fallback rate", fmt.percent(o.fallback_rate), fallback],
        ],
    )


def _cells(f: Figures) -> list[str]:
    return [
        fmt.percent(f.csat.score),
        str(f.csat.rated),
        fmt.nps(f.nps.score),
        str(f.nps.rated),
        fmt.mean(f.ces.score),
        str(f.ces.rated),
        f"{f.rated}/{f.asked}",
        str(f.conversations),
        fmt.percent(f.handoff_rate),
        fmt.percent(f.containment),
        fmt.duration(f.median_wait_seconds),
        fmt.percent(f.fallback_rate),
    ]
