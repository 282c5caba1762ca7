"""A whole report: reads the rows once, then groups them overall, per week, channel, language."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from bot.reporting import conversations, metrics, queries, tracker
from bot.reporting.metrics import Figures, Question
from bot.reporting.period import Period, Week

TOP_INTENTS = 10
LATEST_COMMENTS = 20
UNKNOWN = "unknown"
"""Channel and language of tracker events whose sender the business database does not know."""


@dataclass(frozen=True)
class IntentCount:
    intent: str
    count: int
    share: float | None


@dataclass
class _Bucket:
    """The rows of one group (overall, a week, a channel, a language), collected in one pass."""

    tracked: bool
    """Whether the tracker store could be read (else fallbacks are unknown, not zero)."""
    questions: list[Question] = field(default_factory=list)
    runs: list[conversations.Run] = field(default_factory=list)
    waits: list[float | None] = field(default_factory=list)
    intents: list[str | None] = field(default_factory=list)

    def figures(self) -> Figures:
        return metrics.figures(
            questions=self.questions,
            conversations=len(self.runs),
            with_handoff=sum(1 for run in self.runs if run.had_handoff),
            waits=self.waits,
            intents=self.intents if self.tracked else None,
        )


@dataclass(frozen=True)
class ReportData:
    """The rows one report is computed from; see `load` for the windows read."""

    ratings: list[queries.Rating]
    messages: list[queries.CustomerMessage]
    handoffs: list[queries.HandoffWait]
    events: list[tracker.UserEvent] | None
    comments: list[queries.Rating]
    tracker_unavailable: str | None = None


@dataclass(frozen=True)
class Report:
    period: Period
    overall: Figures
    weeks: list[tuple[Week, Figures]]
    channels: list[tuple[str, Figures]]
    languages: list[tuple[str, Figures]]
    top_intents: list[IntentCount]
    comments: list[queries.Rating]
    tracker_unavailable: str | None


def load(session: Session, *, period: Period, tracker_url: URL) -> ReportData:
    """Read what `period` needs; the tracker store failing leaves its figures unavailable.

    Messages are read from one session gap before the range (to know whether a
    run started before it) to one gap after (a run's handoff may follow its last
    message); handoffs are read to one gap after the range for the same reason.
    """
    gap = conversations.SESSION_GAP
    start, end = period.start, period.end
    try:
        events: list[tracker.UserEvent] | None = tracker.user_events(
            tracker_url, start=start, end=end
        )
        unavailable = None
    except tracker.TrackerUnavailableError as error:
        events, unavailable = None, str(error)
    return ReportData(
        ratings=queries.ratings(session, start=start, end=end),
        messages=queries.customer_messages(session, start=start - gap, end=end + gap),
        handoffs=queries.handoff_waits(session, start=start, end=end + gap),
        events=events,
        comments=queries.latest_comments(session, start=start, end=end, limit=LATEST_COMMENTS),
        tracker_unavailable=unavailable,
    )


def build(data: ReportData, period: Period) -> Report:
    """Group the rows and compute every figure; pure, so it is tested without a database.

    Each row counts once overall and once in its week, channel and language; rows
    outside the period (read for context, see `load`) count nowhere.
    """
    tracked = data.events is not None
    overall = _Bucket(tracked)
    weeks = {week: _Bucket(tracked) for week in period.weeks()}
    channels: dict[str, _Bucket] = {}
    languages: dict[str, _Bucket] = {}

    def buckets(at: dt.datetime, channel: str, language: str) -> list[_Bucket]:
        if not period.start <= at < period.end:
            return []
        return [
            overall,
            weeks[period.week_of(at)],
            channels.setdefault(channel, _Bucket(tracked)),
            languages.setdefault(language, _Bucket(tracked)),
        ]

    for rating in data.ratings:
        for bucket in buckets(rating.asked_at, rating.channel, rating.language):
            bucket.questions.append(Question(rating.kind, rating.status, rating.score))
    threads = {m.conversation_id: (m.channel, m.language) for m in data.messages}
    runs = conversations.mark_handoffs(
        conversations.runs((m.conversation_id, m.at) for m in data.messages),
        ((h.conversation_id, h.requested_at) for h in data.handoffs),
    )
    for run in runs:
        for bucket in buckets(run.started_at, *threads[run.conversation_id]):
            bucket.runs.append(run)
    for item in data.handoffs:
        for bucket in buckets(item.requested_at, item.channel, item.language):
            bucket.waits.append(item.wait_seconds)
    senders = {m.sender_id: (m.channel, m.language) for m in data.messages}
    for event in data.events or []:
        for bucket in buckets(event.at, *senders.get(event.sender_id, (UNKNOWN, UNKNOWN))):
            bucket.intents.append(event.intent)
    return Report(
        period=period,
        overall=overall.figures(),
        weeks=[(week, bucket.figures()) for week, bucket in weeks.items()],
        channels=[(name, channels[name].figures()) for name in sorted(channels)],
        languages=[(name, languages[name].figures()) for name in sorted(languages)],
        top_intents=top_intents(overall.intents),
        comments=data.comments,
        tracker_unavailable=data.tracker_unavailable,
    )


def top_intents(intents: Sequence[str | None], *, limit: int = TOP_INTENTS) -> list[IntentCount]:
    """The most frequent intents with their share of all customer messages."""
    counts = Counter(intent or "(none)" for intent in intents)
    return [
        IntentCount(intent, count, metrics.share(count, len(intents)))
        for intent, count in counts.most_common(limit)
    ]


def report(session: Session, *, period: Period, tracker_url: URL) -> Report:
    """Load and build in one step: what the console page, the CSV and the CLI show."""
    return build(load(session, period=period, tracker_url=tracker_url), period)
