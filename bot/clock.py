"""The shop's calendar: which day and hour it is where the shop is."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Europe/Berlin"


def time_zone() -> str:
    """TIME_ZONE: the shop's time zone (default Europe/Berlin)."""
    return os.environ.get("TIME_ZONE", DEFAULT_TIME_ZONE)


def business_today() -> dt.date:
    """The business day in the shop's time zone; bookings and expiry dates follow it."""
    return dt.datetime.now(ZoneInfo(time_zone())).date()


def now() -> dt.datetime:
    """The current moment (UTC); one place for tests to stand in another time."""
    return dt.datetime.now(dt.timezone.utc)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands stored times back without a zone; everything is stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)
