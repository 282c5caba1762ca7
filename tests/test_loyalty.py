"""Loyalty rules: tier boundaries, the 12-month window and expiring points."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.db.orm import PointTransaction, Reward, Tier
from bot.loyalty import (
    Programme,
    add_months,
    expiring_within,
    recent_bookings,
    summarise_account,
    tier_for,
)

TODAY = dt.date(2026, 11, 23)
TIERS = (
    Tier(code="bronze", name_de="Bronze", name_en="Bronze", min_points=0, birthday_bonus=50),
    Tier(code="silver", name_de="Silber", name_en="Silver", min_points=500, birthday_bonus=100),
    Tier(code="gold", name_de="Gold", name_en="Gold", min_points=1500, birthday_bonus=250),
)
PROGRAMME = Programme(
    name="Nordlicht Club",
    welcome_bonus=100,
    points_per_euro=1,
    points_validity_months=24,
    tier_window_months=12,
    voucher_validity_days=90,
    tiers=TIERS,
    rewards=(Reward(points=500, voucher_value_cents=500),),
)


def booking(points: int, days_ago: int, kind: str = "purchase", id: int = 0) -> PointTransaction:
    booked_on = TODAY - dt.timedelta(days=days_ago)
    expires_on = add_months(booked_on, 24) if points > 0 else None
    return PointTransaction(
        id=id, kind=kind, points=points, booked_on=booked_on, expires_on=expires_on
    )


@pytest.mark.parametrize(
    ("earned", "tier"),
    [
        (0, "bronze"),
        (499, "bronze"),
        (500, "silver"),
        (1499, "silver"),
        (1500, "gold"),
        (9999, "gold"),
    ],
)
def test_tier_boundaries(earned: int, tier: str) -> None:
    assert tier_for(TIERS, earned).code == tier


def test_only_points_earned_in_the_last_12_months_count_for_the_tier() -> None:
    summary = summarise_account(
        PROGRAMME,
        [booking(1000, 366), booking(499, 364), booking(-300, 10, kind="redemption")],
        TODAY,
    )
    assert (summary.balance, summary.earned_in_window, summary.tier.code) == (1199, 499, "bronze")
    assert summary.next_tier is not None and summary.next_tier.code == "silver"
    assert summary.points_to_next_tier == 1


def test_gold_has_no_next_tier() -> None:
    summary = summarise_account(PROGRAMME, [booking(1500, 1)], TODAY)
    assert summary.tier.code == "gold"
    assert (summary.next_tier, summary.points_to_next_tier) == (None, 0)


def test_expiring_points_never_exceed_the_balance() -> None:
    bookings = [
        booking(300, 700, id=1),
        booking(200, 600, id=2),
        booking(-400, 30, kind="redemption", id=3),
    ]
    summary = summarise_account(PROGRAMME, bookings, TODAY)
    assert summary.balance == 100
    assert [(e.expires_on, e.points) for e in summary.expiring] == [
        (add_months(TODAY - dt.timedelta(days=700), 24), 100)
    ]


def test_future_bookings_are_ignored() -> None:
    summary = summarise_account(PROGRAMME, [booking(100, 5), booking(50, -3)], TODAY)
    assert summary.balance == 100
    assert summary.last_purchase_on == TODAY - dt.timedelta(days=5)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2024, 2, 29), 24, dt.date(2026, 2, 28)),
        (dt.date(2026, 11, 23), -12, dt.date(2025, 11, 23)),
        (dt.date(2026, 1, 15), -1, dt.date(2025, 12, 15)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(("expires_in_days", "listed"), [(89, True), (90, True), (91, False)])
def test_expiry_notice_covers_exactly_the_next_90_days(expires_in_days: int, listed: bool) -> None:
    earned_days_ago = (TODAY - add_months(TODAY + dt.timedelta(days=expires_in_days), -24)).days
    summary = summarise_account(PROGRAMME, [booking(100, earned_days_ago)], TODAY)
    lots = expiring_within(summary, today=TODAY, days=90)
    assert [lot.points for lot in lots] == ([100] if listed else [])


def test_expired_lots_are_not_announced_again() -> None:
    bookings = [booking(100, 800, id=1), booking(-100, 70, kind="expiry", id=2)]
    summary = summarise_account(PROGRAMME, bookings, TODAY)
    assert (summary.balance, summary.expiring) == (0, ())


def test_recent_bookings_are_the_newest_up_to_today() -> None:
    bookings = [booking(10 * n, n, id=n) for n in range(1, 8)] + [booking(5, -3, id=99)]
    latest = recent_bookings(bookings, today=TODAY, count=5)
    assert [b.id for b in latest] == [1, 2, 3, 4, 5]
