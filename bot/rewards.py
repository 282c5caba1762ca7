"""Redeeming points for reward vouchers, exactly once per confirmation and never overdrawn.

Every redemption first raises the customer's ledger version. That write takes
the row lock on PostgreSQL and the write lock on SQLite before the balance is
read, so two redemptions of one customer (a double tap, two channels at once)
run one after the other and the second sees the first one's booking. The
confirmation's request key is unique, so repeating a confirmation returns the
voucher it already bought.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db.orm import Customer, PointTransaction, Reward, Voucher
from bot.formatting import format_euros
from bot.loyalty import Programme, load_programme, summarise_account

logger = logging.getLogger(__name__)

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Redeemed:
    voucher: Voucher
    balance: int
    repeated: bool
    """True when this confirmation had already bought the voucher (a retry or double tap)."""


@dataclass(frozen=True)
class NotEnoughPoints:
    reward: Reward
    balance: int

    @property
    def missing(self) -> int:
        return self.reward.points - self.balance


@dataclass(frozen=True)
class UnknownReward:
    points: int


Redemption = Redeemed | NotEnoughPoints | UnknownReward


def affordable_rewards(programme: Programme, balance: int) -> list[Reward]:
    """The rewards a balance pays for, cheapest first."""
    return [reward for reward in programme.rewards if reward.points <= balance]


def redeem(
    session: Session, *, customer_id: int, reward_points: int, request_key: str, today: dt.date
) -> Redemption:
    """Buy the reward costing `reward_points` for the customer; the caller commits."""
    session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(ledger_version=Customer.ledger_version + 1)
    )
    earlier = session.scalar(select(Voucher).where(Voucher.request_key == request_key))
    programme = load_programme(session)
    if earlier is not None:
        return Redeemed(earlier, _balance(session, programme, customer_id, today), repeated=True)
    reward = next((r for r in programme.rewards if r.points == reward_points), None)
    if reward is None:
        return UnknownReward(reward_points)
    balance = _balance(session, programme, customer_id, today)
    if balance < reward.points:
        return NotEnoughPoints(reward, balance)
    language = session.get_one(Customer, customer_id).language
    value = format_euros(reward.voucher_value_cents, language)
    booking = PointTransaction(
        customer_id=customer_id,
        kind="redemption",
        points=-reward.points,
        booked_on=today,
        expires_on=None,
        description=f"{value} voucher" if language == "en" else f"Gutschein über {value}",
    )
    session.add(booking)
    session.flush()
    voucher = Voucher(
        customer_id=customer_id,
        transaction_id=booking.id,
        code=new_voucher_code(),
        points=reward.points,
        value_cents=reward.voucher_value_cents,
        issued_on=today,
        valid_until=today + dt.timedelta(days=programme.voucher_validity_days),
        request_key=request_key,
    )
    session.add(voucher)
    session.flush()
    logger.info(
        "Customer %s redeemed %d points for voucher %s", customer_id, reward.points, voucher.code
    )
    return Redeemed(voucher, balance - reward.points, repeated=False)


def new_voucher_code() -> str:
    """A voucher code like NL-7KQ4-M9XP: 40 random bits, no look-alike letters."""
    chars = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"NL-{chars[:4]}-{chars[4:]}"


def _balance(session: Session, programme: Programme, customer_id: int, today: dt.date) -> int:
    bookings = list(
        session.scalars(select(PointTransaction).where(PointTransaction.customer_id == customer_id))
    )
    return summarise_account(programme, bookings, today).balance
