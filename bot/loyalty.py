"""Loyalty-programme rules: balances, tiers and expiring points, computed from bookings."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.orm import Customer, LoyaltyProgramme, PointTransaction, Reward, Tier

EARNING_KINDS = frozenset({"purchase", "welcome_bonus", "birthday_bonus"})


class ProgrammeNotConfiguredError(LookupError):
    """The database holds no loyalty programme (run `python -m bot demo reset`)."""


@dataclass(frozen=True)
class Programme:
    name: str
    welcome_bonus: int
    points_per_euro: int
    points_validity_months: int
    tier_window_months: int
    voucher_validity_days: int
    tiers: tuple[Tier, ...]
    rewards: tuple[Reward, ...]


@dataclass(frozen=True)
class ExpiringPoints:
    expires_on: dt.date
    points: int


@dataclass(frozen=True)
class AccountSummary:
    balance: int
    earned_in_window: int
    tier: Tier
    next_tier: Tier | None
    points_to_next_tier: int
    expiring: tuple[ExpiringPoints, ...]
    last_purchase_on: dt.date | None


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar month arithmetic; the 31st becomes the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def load_programme(session: Session) -> Programme:
    """The programme's rules, tiers (lowest first) and rewards (cheapest first)."""
    row = session.scalar(select(LoyaltyProgramme))
    if row is None:
        raise ProgrammeNotConfiguredError("no loyalty programme in the database")
    tiers = tuple(session.scalars(select(Tier).order_by(Tier.min_points)))
    rewards = tuple(session.scalars(select(Reward).order_by(Reward.points)))
    return Programme(
        name=row.name,
        welcome_bonus=row.welcome_bonus,
        points_per_euro=row.points_per_euro,
        points_validity_months=row.points_validity_months,
        tier_window_months=row.tier_window_months,
        voucher_validity_days=row.voucher_validity_days,
        tiers=tiers,
        rewards=rewards,
    )


def tier_for(tiers: Sequence[Tier], earned_in_window: int) -> Tier:
    """The highest tier whose threshold the points earned in the window reach."""
    reached = [tier for tier in tiers if tier.min_points <= earned_in_window]
    if not reached:
        raise ProgrammeNotConfiguredError("no tier starts at 0 points")
    return max(reached, key=lambda tier: tier.min_points)


def summarise_account(
    programme: Programme, bookings: Sequence[PointTransaction], today: dt.date
) -> AccountSummary:
    """Balance, tier and expiring points of one account on a given day."""
    balance = sum(booking.points for booking in bookings if booking.booked_on <= today)
    window_start = add_months(today, -programme.tier_window_months)
    earned = sum(
        booking.points
        for booking in bookings
        if booking.kind in EARNING_KINDS and window_start < booking.booked_on <= today
    )
    tier = tier_for(programme.tiers, earned)
    higher = [t for t in programme.tiers if t.min_points > tier.min_points]
    next_tier = min(higher, key=lambda t: t.min_points) if higher else None
    purchases = [b.booked_on for b in bookings if b.kind == "purchase" and b.booked_on <= today]
    return AccountSummary(
        balance=balance,
        earned_in_window=earned,
        tier=tier,
        next_tier=next_tier,
        points_to_next_tier=next_tier.min_points - earned if next_tier else 0,
        expiring=_expiring(bookings, balance, today),
        last_purchase_on=max(purchases, default=None),
    )


def _expiring(
    bookings: Sequence[PointTransaction], balance: int, today: dt.date
) -> tuple[ExpiringPoints, ...]:
    # Each earned lot expires on its own date. The balance is matched to the oldest
    # lots first, so a customer is warned about every point that can still lapse.
    remaining = balance
    by_date: dict[dt.date, int] = {}
    lots = sorted(
        (b for b in bookings if b.points > 0 and b.expires_on and b.expires_on > today),
        key=lambda b: (b.expires_on, b.id),
    )
    for lot in lots:
        take = min(lot.points, remaining)
        if take <= 0:
            break
        assert lot.expires_on is not None
        by_date[lot.expires_on] = by_date.get(lot.expires_on, 0) + take
        remaining -= take
    return tuple(ExpiringPoints(day, points) for day, points in sorted(by_date.items()))


def account_summary(session: Session, *, customer: Customer, today: dt.date) -> AccountSummary:
    """The summary of a customer's account, read in the caller's session."""
    return summarise_account(load_programme(session), customer.transactions, today)


def expiring_within(
    summary: AccountSummary, *, today: dt.date, days: int
) -> tuple[ExpiringPoints, ...]:
    """The points that lapse in the next `days` days, soonest first."""
    horizon = today + dt.timedelta(days=days)
    return tuple(lot for lot in summary.expiring if lot.expires_on <= horizon)


def recent_bookings(
    bookings: Sequence[PointTransaction], *, today: dt.date, count: int
) -> list[PointTransaction]:
    """The latest `count` bookings up to today, newest first."""
    booked = [b for b in bookings if b.booked_on <= today]
    return sorted(booked, key=lambda b: (b.booked_on, b.id), reverse=True)[:count]
