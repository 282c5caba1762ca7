"""Reading Rasa's tracker store: customer messages only, and a clear reason when it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot.reporting import tracker
from bot.reporting.period import Period
from tests.report_data import BERLIN, FIRST, LAST, T1, USER_EVENTS, write_tracker_store

PERIOD = Period(FIRST, LAST, BERLIN)


def test_rasas_postgresql_url_is_read_through_psycopg_3() -> None:
    url = tracker.reporting_url("postgresql://rasa:secret@db.example:5432/rasa")
    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.password, url.host, url.database) == (
        "rasa",
        "secret",
        "db.example",
        "rasa",
    )
    sqlite = "sqlite:////srv/var/rasa-tracker.sqlite"
    assert tracker.reporting_url(sqlite).render_as_string() == sqlite


def test_customer_messages_in_the_range_only(database_url: str) -> None:
    write_tracker_store(database_url)
    events = tracker.user_events(
        tracker.reporting_url(database_url), start=PERIOD.start, end=PERIOD.end
    )
    assert len(events) == len(USER_EVENTS) == 20
    assert sum(1 for e in events if e.intent == "nlu_fallback") == 2
    # FAQ questions are named by their topic where Rasa stored it.
    assert sum(1 for e in events if e.intent == "faq/shipping_costs") == 8
    assert sum(1 for e in events if e.intent == "club") == 4
    first = min(events, key=lambda e: e.at)
    assert (first.sender_id, PERIOD.day_of(first.at)) == (T1, FIRST)


def test_a_missing_store_is_unavailable_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "rasa-tracker.sqlite"
    with pytest.raises(tracker.TrackerUnavailableError, match="no tracker store file"):
        tracker.user_events(make_url(f"sqlite:///{path}"), start=PERIOD.start, end=PERIOD.end)
    assert not path.exists()


def test_a_store_without_events_is_unavailable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE something (id INTEGER)")
    engine.dispose()
    with pytest.raises(tracker.TrackerUnavailableError, match="has no events table"):
        tracker.user_events(make_url(url), start=PERIOD.start, end=PERIOD.end)


def test_an_unreachable_server_is_unavailable_without_its_password() -> None:
    url = tracker.reporting_url("postgresql://rasa:s3cret-pw@127.0.0.1:1/rasa")
    with pytest.raises(tracker.TrackerUnavailableError, match="cannot be read") as raised:
        tracker.user_events(url, start=PERIOD.start, end=PERIOD.end)
    assert "s3cret-pw" not in str(raised.value)
