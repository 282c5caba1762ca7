"""Redemption books a voucher once per confirmation and never overdraws, even concurrently."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db.orm import Customer, PointTransaction, Voucher
from bot.loyalty import account_summary
from bot.rewards import NotEnoughPoints, Redeemed, UnknownReward, new_voucher_code, redeem
from tests.conftest import DEMO_DAY


def _customer_id(sessions: sessionmaker[Session], member_number: str) -> int:
    with sessions() as session:
        customer = session.scalars(
            select(Customer).where(Customer.member_number == member_number)
        ).one()
        return customer.id


def _balance(sessions: sessionmaker[Session], customer_id: int) -> int:
    with sessions() as session:
        customer = session.get_one(Customer, customer_id)
        return account_summary(session, customer=customer, today=DEMO_DAY).balance


def test_redeeming_books_the_points_and_issues_a_voucher_for_90_days(
    demo_sessions: sessionmaker[Session],
) -> None:
    anna = _customer_id(demo_sessions, "NL-100234")
    with demo_sessions.begin() as session:
        outcome = redeem(
            session, customer_id=anna, reward_points=500, request_key="k1", today=DEMO_DAY
        )
    assert isinstance(outcome, Redeemed) and not outcome.repeated
    assert outcome.balance == 750 == _balance(demo_sessions, anna)
    voucher = outcome.voucher
    assert (voucher.points, voucher.value_cents) == (500, 500)
    assert (voucher.valid_until - voucher.issued_on).days == 90
    with demo_sessions() as session:
        booking = session.get_one(PointTransaction, voucher.transaction_id)
        assert (booking.kind, booking.points, booking.description) == (
            "redemption",
            -500,
            "Gutschein über 5 €",
        )


def test_repeating_a_confirmation_returns_the_same_voucher(
    demo_sessions: sessionmaker[Session],
) -> None:
    john = _customer_id(demo_sessions, "NL-100876")
    outcomes = []
    for _ in range(2):
        with demo_sessions.begin() as session:
            outcomes.append(
                redeem(
                    session, customer_id=john, reward_points=1000, request_key="tap", today=DEMO_DAY
                )
            )
    first, second = outcomes
    assert isinstance(first, Redeemed) and isinstance(second, Redeemed)
    assert (first.repeated, second.repeated) == (False, True)
    assert first.voucher.code == second.voucher.code
    assert _balance(demo_sessions, john) == 2480


def test_not_enough_points_says_how_many_are_missing(
    demo_sessions: sessionmaker[Session],
) -> None:
    lena = _customer_id(demo_sessions, "NL-100555")
    with demo_sessions.begin() as session:
        outcome = redeem(
            session, customer_id=lena, reward_points=500, request_key="k", today=DEMO_DAY
        )
        unknown = redeem(
            session, customer_id=lena, reward_points=123, request_key="k2", today=DEMO_DAY
        )
    assert isinstance(outcome, NotEnoughPoints) and outcome.missing == 420
    assert isinstance(unknown, UnknownReward)
    assert _balance(demo_sessions, lena) == 80


def test_two_simultaneous_redemptions_of_the_balance_succeed_exactly_once(
    demo_sessions: sessionmaker[Session],
) -> None:
    anna = _customer_id(demo_sessions, "NL-100234")  # 1,250 points: one 1,000 voucher, not two
    start = threading.Barrier(2)

    def attempt(key: str) -> object:
        with demo_sessions.begin() as session:
            start.wait()
            return redeem(
                session, customer_id=anna, reward_points=1000, request_key=key, today=DEMO_DAY
            )

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(attempt, ["whatsapp-yes", "telegram-yes"]))

    assert sorted(type(o).__name__ for o in outcomes) == ["NotEnoughPoints", "Redeemed"]
    assert _balance(demo_sessions, anna) == 250
    with demo_sessions() as session:
        assert session.scalar(select(func.count()).select_from(Voucher)) == 1


def test_voucher_codes_are_readable_and_distinct() -> None:
    codes = {new_voucher_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(code) == 12 and code.startswith("NL-") and "O" not in code for code in codes)
