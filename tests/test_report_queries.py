"""Reports read from a real database (SQLite and PostgreSQL) and a tracker store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot import identity
from bot.db.orm import Customer, Feedback
from bot.reporting import queries
from bot.reporting.period import Period
from bot.reporting.report import UNKNOWN, Report, report
from tests.report_data import (
    BERLIN,
    FIRST,
    FORMULA,
    LAST,
    QUOTED,
    T1,
    T2,
    T3,
    XSS,
    at,
    seed,
    sqlite_tracker_store,
)


@pytest.fixture
def fortnight(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions.begin() as session:
        return seed(session)


def make_report(
    sessions: sessionmaker[Session], tmp_path: Path, period: Period | None = None
) -> Report:
    tracker_url = make_url(sqlite_tracker_store(tmp_path))
    with sessions() as session:
        return report(
            session, period=period or Period(FIRST, LAST, BERLIN), tracker_url=tracker_url
        )


def test_the_fortnight_has_the_known_figures(
    sessions: sessionmaker[Session], fortnight: dict[str, int], tmp_path: Path
) -> None:
    o = make_report(sessions, tmp_path).overall
    assert (o.csat.score, o.csat.rated, o.csat.asked, o.csat.declined) == (70.0, 10, 13, 1)
    assert (o.nps.score, o.nps.rated) == (30.0, 10)
    assert (o.ces.score, o.ces.rated) == (4.0, 4)
    assert (o.rated, o.asked) == (24, 27)
    assert (o.conversations, o.with_handoff, o.handoff_rate, o.containment) == (10, 4, 40.0, 60.0)
    assert (o.handoffs, o.answered_handoffs, o.median_wait_seconds) == (4, 3, 600.0)
    assert (o.user_messages, o.fallbacks, o.fallback_rate) == (20, 2, 10.0)


def test_figures_per_week_channel_and_language(
    sessions: sessionmaker[Session], fortnight: dict[str, int], tmp_path: Path
) -> None:
    result = make_report(sessions, tmp_path)
    w45, w46 = (f for _, f in result.weeks)
    assert [w.label for w, _ in result.weeks] == ["2026-W45", "2026-W46"]
    assert (w45.csat.score, w45.nps.score, w45.ces.score) == (100.0, 100.0, 2.5)
    assert (w46.csat.score, w46.nps.score, w46.ces.score) == (40.0, -40.0, 5.5)
    assert (w45.conversations, w45.with_handoff, w46.conversations, w46.with_handoff) == (
        5,
        1,
        5,
        3,
    )
    assert (w45.median_wait_seconds, w46.median_wait_seconds) == (120.0, 1200.0)
    channels = dict(result.channels)
    assert list(channels) == ["rest", "telegram", UNKNOWN, "whatsapp", "widget"]
    assert (channels["telegram"].csat.score, channels["telegram"].conversations) == (80.0, 3)
    assert (channels["whatsapp"].with_handoff, channels["whatsapp"].conversations) == (2, 2)
    assert channels[UNKNOWN].fallback_rate == 100.0
    languages = dict(result.languages)
    assert (languages["de"].nps.score, languages["en"].nps.score) == (40.0, 20.0)
    assert [(i.intent, i.count) for i in result.top_intents] == [
        ("faq/shipping_costs", 8),
        ("greet", 6),
        ("club", 4),
        ("nlu_fallback", 2),
    ]


def test_latest_comments_skip_blank_ones_and_other_days(
    sessions: sessionmaker[Session], fortnight: dict[str, int], tmp_path: Path
) -> None:
    comments = make_report(sessions, tmp_path).comments
    assert [c.comment for c in comments] == [XSS, QUOTED, FORMULA]


def test_a_range_without_data(
    sessions: sessionmaker[Session], fortnight: dict[str, int], tmp_path: Path
) -> None:
    result = make_report(
        sessions, tmp_path, Period(dt.date(2026, 10, 1), dt.date(2026, 10, 14), BERLIN)
    )
    o = result.overall
    assert (o.csat.score, o.nps.score, o.ces.score, o.response_rate) == (None, None, None, None)
    assert (o.conversations, o.handoff_rate, o.median_wait_seconds) == (0, None, None)
    assert (o.user_messages, o.fallback_rate) == (0, None)
    assert result.comments == [] and result.channels == []


def test_a_conversation_that_began_before_the_range_is_not_counted(
    sessions: sessionmaker[Session], fortnight: dict[str, int], tmp_path: Path
) -> None:
    # 1 Nov 23:30 and 2 Nov 00:20 are one run, begun the day before: 2 Nov has runs A and B.
    one_day = make_report(sessions, tmp_path, Period(FIRST, FIRST, BERLIN))
    assert one_day.overall.conversations == 2
    with sessions() as session:
        messages = queries.customer_messages(
            session, start=at("2026-11-02 00:00"), end=at("2026-11-02 01:00")
        )
    assert [m.at for m in messages] == [at("2026-11-02 00:20")]


def test_recent_ratings_of_a_chat_or_of_the_verified_customer(
    sessions: sessionmaker[Session], fortnight: dict[str, int]
) -> None:
    with sessions.begin() as session:
        mine = queries.recent_ratings(session, conversation_id=fortnight[T3], customer_id=None)
        assert [(r.kind, r.score) for r in mine] == [("ces", 7), ("ces", 4), ("nps", 3)]
        customer = Customer(
            member_number="NL-1",
            first_name="Anna",
            last_name="Test",
            birth_date=dt.date(1990, 1, 1),
            postcode="20095",
            language="de",
            marketing_consent=False,
            joined_on=dt.date(2025, 1, 1),
        )
        session.add(customer)
        session.flush()
        identity.link(
            session,
            customer=customer,
            channel="widget",
            sender_id=T2,
            via=identity.VerifiedVia.SHOP_LOGIN,
        )
        session.add(
            Feedback(
                conversation_id=fortnight[T1],
                customer_id=customer.id,
                kind="csat",
                trigger="thanks",
                status="rated",
                score=4,
                channel="telegram",
                language="de",
                asked_at=at("2026-11-20 10:00"),
                answered_at=at("2026-11-20 10:01"),
            )
        )
        session.flush()
        theirs = queries.recent_ratings(
            session, conversation_id=fortnight[T2], customer_id=customer.id
        )
    assert [(r.kind, r.score, r.channel) for r in theirs] == [
        ("csat", 4, "telegram"),
        ("csat", 1, "widget"),
        ("csat", 3, "widget"),
    ]
