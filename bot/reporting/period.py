"""A report's date range: whole days in the shop's time zone, and their ISO weeks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DEFAULT_WEEKS = 12
MAX_DAYS = 3 * 366
"""Longest range a report covers; keeps one request from reading years of messages."""


class PeriodError(ValueError):
    """A date range that cannot be reported on (malformed, reversed or too long)."""


@dataclass(frozen=True)
class Week:
    """One ISO week, labelled like `2026-W45`, with its Monday and Sunday."""

    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 7)

    @classmethod
    def of(cls, day: dt.date) -> Week:
        year, number, _ = day.isocalendar()
        return cls(year, number)


@dataclass(frozen=True)
class Period:
    """The days `first` to `last`, both included, as the shop's calendar counts them."""

    first: dt.date
    last: dt.date
    time_zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise PeriodError("the first day must not be after the last day")
        if (self.last - self.first).days >= MAX_DAYS:
            raise PeriodError(f"a report covers at most {MAX_DAYS} days")

    @property
    def start(self) -> dt.datetime:
        """The first moment of the range, in UTC (as everything is stored)."""
        return self._midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the range, in UTC; queries use start <= t < end."""
        return self._midnight(self.last + dt.timedelta(days=1))

    def day_of(self, moment: dt.datetime) -> dt.date:
        """The shop's calendar day of a stored (UTC) moment."""
        aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
        return aware.astimezone(self.time_zone).date()

    def week_of(self, moment: dt.datetime) -> Week:
        """The ISO week a moment falls in, in the shop's time zone."""
        return Week.of(self.day_of(moment))

    def weeks(self) -> list[Week]:
        """Every ISO week the range touches, in order (empty weeks included)."""
        weeks, monday = [], self.first - dt.timedelta(days=self.first.weekday())
        while monday <= self.last:
            weeks.append(Week.of(monday))
            monday += dt.timedelta(weeks=1)
        return weeks

    def _midnight(self, day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time.min, tzinfo=self.time_zone)
        return local.astimezone(dt.timezone.utc)


def default_period(today: dt.date, time_zone: ZoneInfo) -> Period:
    """The last 12 ISO weeks up to today, so every week on a chart is a whole week."""
    monday = today - dt.timedelta(days=today.weekday())
    return Period(monday - dt.timedelta(weeks=DEFAULT_WEEKS - 1), today, time_zone)


def parse_period(
    first: str | None, last: str | None, *, today: dt.date, time_zone: ZoneInfo
) -> Period:
    """A range from `YYYY-MM-DD` strings; the end defaults to today, the start to 12 weeks back."""
    try:
        end = dt.date.fromisoformat(last) if last else today
        start = dt.date.fromisoformat(first) if first else default_period(end, time_zone).first
    except ValueError as error:
        raise PeriodError("dates are written YYYY-MM-DD") from error
    return Period(start, end, time_zone)
