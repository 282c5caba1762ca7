"""The demo data reproduces shared/demo-company.md exactly, on every backend."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db.orm import Conversation, Customer, LoyaltyProgramme, Message, Reward, Tier
from bot.demo import seed
from bot.loyalty import account_summary, load_programme
from tests.conftest import DEMO_DAY

# member number: (first name, tier, balance, earned in 12 months, soonest expiry, last purchase)
CONTRACT = {
    "NL-100234": (
        "Anna",
        "silver",
        1250,
        1310,
        (dt.date(2026, 12, 31), 120),
        dt.date(2026, 10, 28),
    ),
    "NL-100876": ("John", "gold", 3480, 2950, None, dt.date(2026, 11, 15)),
    "NL-100555": ("Lena", "bronze", 80, 0, (dt.date(2027, 3, 14), 80), dt.date(2025, 3, 14)),
}


def customer(session: Session, member_number: str) -> Customer:
    return session.scalars(select(Customer).where(Customer.member_number == member_number)).one()


@pytest.mark.parametrize("member_number", CONTRACT)
def test_demo_customers_match_the_contract(
    demo_sessions: sessionmaker[Session], member_number: str
) -> None:
    first_name, tier, balance, earned, soonest, last_purchase = CONTRACT[member_number]
    with demo_sessions() as session:
        summary = account_summary(
            session, customer=customer(session, member_number), today=DEMO_DAY
        )
        assert customer(session, member_number).first_name == first_name
    assert (summary.tier.code, summary.balance, summary.earned_in_window) == (tier, balance, earned)
    assert summary.last_purchase_on == last_purchase
    first = summary.expiring[0] if summary.expiring else None
    if soonest is None:
        assert first is None or first.expires_on > DEMO_DAY + dt.timedelta(days=183)
    else:
        assert first is not None and (first.expires_on, first.points) == soonest


def test_anna_needs_190_points_for_gold(demo_sessions: sessionmaker[Session]) -> None:
    with demo_sessions() as session:
        summary = account_summary(session, customer=customer(session, "NL-100234"), today=DEMO_DAY)
    assert summary.next_tier is not None and summary.next_tier.code == "gold"
    assert summary.points_to_next_tier == 190


# member number: (birth date, postcode, mobile / WhatsApp, Telegram user id, language)
IDENTITIES = {
    "NL-100234": (dt.date(1988, 4, 12), "20095", "+4915112345678", 700000001, "de"),
    "NL-100876": (dt.date(1979, 11, 2), "10115", "+447700900123", 700000002, "en"),
    "NL-100555": (dt.date(1995, 7, 30), "80331", "+4917612345678", None, "de"),
}


@pytest.mark.parametrize("member_number", IDENTITIES)
def test_customer_identities_match_the_contract(
    demo_sessions: sessionmaker[Session], member_number: str
) -> None:
    with demo_sessions() as session:
        c = customer(session, member_number)
        identity = (c.birth_date, c.postcode, c.mobile, c.telegram_user_id, c.language)
        assert identity == IDENTITIES[member_number]
        assert c.marketing_consent


def test_programme_tiers_and_rewards_match_the_contract(
    demo_sessions: sessionmaker[Session],
) -> None:
    with demo_sessions() as session:
        programme = load_programme(session)
    assert (
        programme.welcome_bonus,
        programme.points_per_euro,
        programme.points_validity_months,
    ) == (100, 1, 24)
    assert [(t.name_de, t.name_en, t.min_points, t.birthday_bonus) for t in programme.tiers] == [
        ("Bronze", "Bronze", 0, 50),
        ("Silber", "Silver", 500, 100),
        ("Gold", "Gold", 1500, 250),
    ]
    assert [(r.points, r.voucher_value_cents) for r in programme.rewards] == [
        (500, 500),
        (1000, 1200),
        (2500, 3500),
    ]
    assert programme.voucher_validity_days == 90


def test_dates_move_with_the_reset_day(sessions: sessionmaker[Session]) -> None:
    later = dt.date(2027, 2, 10)
    with sessions.begin() as session:
        seed.reset(session, data=seed.read_demo_file(), today=later)
    with sessions() as session:
        anna = account_summary(session, customer=customer(session, "NL-100234"), today=later)
    assert (anna.balance, anna.earned_in_window, anna.tier.code) == (1250, 1310, "silver")
    assert anna.expiring[0].points == 120
    assert anna.expiring[0].expires_on - later == dt.timedelta(days=38)
    assert anna.last_purchase_on == later - dt.timedelta(days=26)


def test_reset_restores_exactly_the_demo_data(demo_sessions: sessionmaker[Session]) -> None:
    with demo_sessions.begin() as session:
        customer(session, "NL-100234").first_name = "Changed"
        session.add(Conversation(channel="rest", sender_id="rest:x", language="de"))
    with demo_sessions.begin() as session:
        seed.reset(session, data=seed.read_demo_file(), today=DEMO_DAY)
    with demo_sessions() as session:
        assert customer(session, "NL-100234").first_name == "Anna"
        counts = [
            session.scalar(select(func.count()).select_from(model))
            for model in (Customer, Tier, Reward, LoyaltyProgramme, Conversation, Message)
        ]
    assert counts == [3, 3, 3, 1, 0, 0]


def test_is_empty_only_before_the_first_load(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert seed.is_empty(session)
        seed.reset(session, data=seed.read_demo_file(), today=DEMO_DAY)
    with sessions() as session:
        assert not seed.is_empty(session)
