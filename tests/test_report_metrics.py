"""The report's figures and periods as pure functions: known values and every edge case."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable

import pytest

from bot.reporting import conversations, formatting, metrics
from bot.reporting.export import to_csv
from bot.reporting.metrics import Question
from bot.reporting.period import Period, PeriodError, Week, default_period, parse_period
from bot.reporting.queries import Rating
from bot.reporting.report import ReportData, build, top_intents
from bot.reporting.text import render
from tests.report_data import BERLIN, FORMULA, at

UTC = dt.timezone.utc


def test_csat_is_the_share_of_four_and_five() -> None:
    assert metrics.csat([5, 5, 4, 4, 4, 5, 4, 3, 2, 1]) == pytest.approx(70.0)
    assert metrics.csat([3, 3]) == 0.0


def test_nps_is_promoters_minus_detractors() -> None:
    assert metrics.nps([9, 10, 10, 9, 9, 7, 8, 8, 3, 6]) == pytest.approx(30.0)
    assert metrics.nps([0, 6, 3]) == -100.0
    assert metrics.nps([9, 10]) == 100.0
    assert metrics.nps([7, 8]) == 0.0


def test_ces_is_the_mean() -> None:
    assert metrics.ces([2, 3, 4, 7]) == pytest.approx(4.0)


@pytest.mark.parametrize("score", [metrics.csat, metrics.nps, metrics.ces, metrics.median])
def test_no_ratings_give_no_figure(score: Callable[[list[int]], float | None]) -> None:
    assert score([]) is None


def test_shares_of_nothing_are_none() -> None:
    assert metrics.share(0, 0) is None
    assert metrics.share(1, 4) == 25.0


def test_response_rate_counts_every_question_asked() -> None:
    questions = [
        Question("csat", "rated", 5),
        Question("csat", "rated", 2),
        Question("csat", "declined", None),
        Question("csat", "asked", None),
        Question("nps", "rated", 10),
    ]
    csat = metrics.kind_figures("csat", questions)
    assert (csat.score, csat.asked, csat.rated, csat.declined) == (50.0, 4, 2, 1)
    assert csat.response_rate == 50.0
    assert metrics.kind_figures("ces", questions).response_rate is None


def test_figures_without_any_data_are_all_none() -> None:
    empty = metrics.figures(questions=[], conversations=0, with_handoff=0, waits=[], intents=[])
    assert (empty.csat.score, empty.nps.score, empty.ces.score) == (None, None, None)
    assert (empty.response_rate, empty.handoff_rate, empty.containment) == (None, None, None)
    assert (empty.median_wait_seconds, empty.fallback_rate) == (None, None)
    assert (empty.user_messages, empty.fallbacks) == (0, 0)


def test_handoff_rate_containment_waits_and_fallbacks() -> None:
    f = metrics.figures(
        questions=[],
        conversations=10,
        with_handoff=4,
        waits=[120.0, 600.0, 1800.0, None],
        intents=["faq", "nlu_fallback", None, "greet"],
    )
    assert (f.handoff_rate, f.containment) == (40.0, 60.0)
    assert (f.handoffs, f.answered_handoffs, f.median_wait_seconds) == (4, 3, 600.0)
    assert (f.user_messages, f.fallbacks, f.fallback_rate) == (4, 1, 25.0)
    unknown = metrics.figures(questions=[], conversations=1, with_handoff=0, waits=[], intents=None)
    assert (unknown.user_messages, unknown.fallback_rate) == (None, None)


def test_a_pause_over_sixty_minutes_starts_a_new_conversation() -> None:
    start = dt.datetime(2026, 11, 2, 9, tzinfo=UTC)
    minutes = [0, 30, 90, 151, 152]  # 60 minutes exactly continues, 61 does not
    found = conversations.runs([(1, start + dt.timedelta(minutes=m)) for m in minutes])
    assert [(r.started_at, r.ended_at) for r in found] == [
        (start, start + dt.timedelta(minutes=90)),
        (start + dt.timedelta(minutes=151), start + dt.timedelta(minutes=152)),
    ]
    other = conversations.runs([(2, start), (1, start + dt.timedelta(minutes=5))])
    assert [r.conversation_id for r in other] == [2, 1]


def test_a_handoff_belongs_to_the_conversation_it_was_requested_in() -> None:
    start = dt.datetime(2026, 11, 2, 9, tzinfo=UTC)
    found = conversations.runs([(1, start), (1, start + dt.timedelta(hours=3)), (2, start)])
    marked = conversations.mark_handoffs(
        found, [(1, start + dt.timedelta(minutes=60)), (2, start + dt.timedelta(minutes=61))]
    )
    assert [(r.conversation_id, r.had_handoff) for r in marked] == [
        (1, True),
        (2, False),
        (1, False),
    ]


def test_a_period_is_whole_days_in_the_shops_time_zone() -> None:
    winter = Period(dt.date(2026, 11, 2), dt.date(2026, 11, 15), BERLIN)
    assert winter.start == dt.datetime(2026, 11, 1, 23, tzinfo=UTC)
    assert winter.end == dt.datetime(2026, 11, 15, 23, tzinfo=UTC)
    summer = Period(dt.date(2026, 7, 1), dt.date(2026, 7, 1), BERLIN)
    assert summer.start == dt.datetime(2026, 6, 30, 22, tzinfo=UTC)
    assert winter.day_of(dt.datetime(2026, 11, 15, 23, 30)) == dt.date(2026, 11, 16)
    assert [w.label for w in winter.weeks()] == ["2026-W45", "2026-W46"]


def test_weeks_across_the_new_year_follow_iso() -> None:
    period = Period(dt.date(2026, 12, 30), dt.date(2027, 1, 5), BERLIN)
    assert [w.label for w in period.weeks()] == ["2026-W53", "2027-W01"]
    assert Week(2026, 53).monday == dt.date(2026, 12, 28)
    assert Week(2027, 1).sunday == dt.date(2027, 1, 10)


def test_the_default_is_twelve_whole_weeks_up_to_today() -> None:
    period = default_period(dt.date(2026, 11, 25), BERLIN)
    assert (period.first, period.last) == (dt.date(2026, 9, 7), dt.date(2026, 11, 25))
    assert period.first.weekday() == 0 and len(period.weeks()) == 12
    assert parse_period(None, None, today=dt.date(2026, 11, 25), time_zone=BERLIN) == period
    earlier = parse_period(None, "2025-01-31", today=dt.date(2026, 11, 25), time_zone=BERLIN)
    assert (earlier.first, len(earlier.weeks())) == (dt.date(2024, 11, 11), 12)


@pytest.mark.parametrize(
    ("first", "last"),
    [("2026-11-15", "2026-11-01"), ("15.11.2026", "2026-11-30"), ("2020-01-01", "2026-01-01")],
)
def test_bad_periods_are_refused(first: str, last: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(first, last, today=dt.date(2026, 11, 25), time_zone=BERLIN)


def test_a_range_without_data_reports_dashes_not_errors() -> None:
    period = Period(dt.date(2026, 10, 1), dt.date(2026, 10, 14), BERLIN)
    report = build(ReportData([], [], [], [], []), period)
    assert report.overall.csat.score is None and report.overall.nps.score is None
    assert report.overall.fallback_rate is None and report.overall.handoff_rate is None
    assert [w.label for w, _ in report.weeks] == ["2026-W40", "2026-W41", "2026-W42"]
    assert (report.channels, report.languages, report.top_intents) == ([], [], [])
    text = render(report)
    assert re.search(r"CSAT \(share of 4-5\)\s+–", text) and "(none)" in text
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    total = next(row for row in rows if row and row[0] == "total")
    assert total[4:8] == ["", "0", "0", ""]


def test_an_unavailable_tracker_store_leaves_the_rest() -> None:
    period = Period(dt.date(2026, 11, 2), dt.date(2026, 11, 15), BERLIN)
    rating = Rating("nps", "rated", 0, None, "widget", "en", at("2026-11-03 10:00"), None)
    report = build(ReportData([rating], [], [], None, [], "no tracker store file"), period)
    assert report.overall.nps.score == -100.0
    assert report.overall.user_messages is None and report.top_intents == []
    assert "unavailable: no tracker store file" in render(report)


def test_top_intents_are_counted_with_their_share() -> None:
    found = top_intents(["faq", "faq", "greet", None], limit=2)
    assert [(i.intent, i.count, i.share) for i in found] == [("faq", 2, 50.0), ("greet", 1, 25.0)]


def test_formatting_for_people() -> None:
    assert [formatting.nps(v) for v in (-100.0, 30.0, 0.4, None)] == ["−100", "+30", "0", "–"]
    assert formatting.percent(66.66) == "67 %" and formatting.percent(None) == "–"
    assert formatting.mean(4.25, "de") == "4,2" and formatting.mean(4.0) == "4.0"
    assert [formatting.duration(s) for s in (45, 600, 3900)] == ["45 s", "10 min", "1 h 05 min"]
    assert formatting.score("nps", 9) == "9/10" and formatting.kind_name("ces") == "CES"
    assert formatting.printable("ok\x1b[31mred\n") == "ok\\x1b[31mred\\n"


def test_csv_quotes_comments_and_defuses_formulas() -> None:
    period = Period(dt.date(2026, 11, 2), dt.date(2026, 11, 15), BERLIN)
    comments = [
        Rating("csat", "rated", 5, FORMULA, "telegram", "de", at("2026-11-02 10:31"), None),
        Rating("nps", "rated", 3, 'a, "b"\nc', "widget", "en", at("2026-11-03 10:00"), None),
    ]
    rows = list(
        csv.reader(io.StringIO(to_csv(build(ReportData([], [], [], [], comments), period))))
    )
    header = rows.index(["date", "kind", "score", "channel", "language", "comment"])
    assert rows[header + 1] == ["2026-11-02", "csat", "5", "telegram", "de", "'" + FORMULA]
    assert rows[header + 2][-1] == 'a, "b"\nc'
