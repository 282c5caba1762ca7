"""Loads the demo business from its data file; a reset restores exactly that state."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.db.orm import (
    AgentNote,
    Base,
    ChannelIdentity,
    Conversation,
    Customer,
    Feedback,
    Handoff,
    LoyaltyProgramme,
    Message,
    PointTransaction,
    Reward,
    ServiceHours,
    Tier,
    VerificationAttempt,
    Voucher,
)
from bot.loyalty import add_months

DEFAULT_DEMO_FILE = Path(__file__).with_name("nordlicht.yml")

# Children before parents, so foreign keys hold on every backend.
_RESET_ORDER: tuple[type[Base], ...] = (
    Feedback,
    Message,
    AgentNote,
    Handoff,
    Conversation,
    ServiceHours,
    VerificationAttempt,
    Voucher,
    ChannelIdentity,
    PointTransaction,
    Customer,
    Reward,
    Tier,
    LoyaltyProgramme,
)


def read_demo_file(path: Path = DEFAULT_DEMO_FILE) -> dict[str, Any]:
    """The demo data as plain Python values."""
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def is_empty(session: Session) -> bool:
    """True for a database that has never been loaded (no programme configured)."""
    return session.scalar(select(func.count()).select_from(LoyaltyProgramme)) == 0


def reset(session: Session, *, data: dict[str, Any], today: dt.date) -> None:
    """Replace all business data with the demo data, dated relative to `today`."""
    for model in _RESET_ORDER:
        session.execute(delete(model))
    programme = LoyaltyProgramme(**data["programme"])
    session.add(programme)
    session.add_all(Tier(**tier) for tier in data["tiers"])
    session.add_all(Reward(**reward) for reward in data["rewards"])
    session.add_all(
        ServiceHours(
            weekday=hours["weekday"],
            opens=dt.time.fromisoformat(hours["opens"]),
            closes=dt.time.fromisoformat(hours["closes"]),
        )
        for hours in data.get("service_hours", [])
    )
    for entry in data["customers"]:
        session.add(_customer(entry, programme.points_validity_months, today))
    session.flush()


def _customer(entry: dict[str, Any], validity_months: int, today: dt.date) -> Customer:
    fields = {k: v for k, v in entry.items() if k not in ("transactions", "joined_days_ago")}
    customer = Customer(**fields, joined_on=today - dt.timedelta(days=entry["joined_days_ago"]))
    for booking in entry["transactions"]:
        booked_on = today - dt.timedelta(days=booking["days_ago"])
        earned = booking["points"] > 0
        customer.transactions.append(
            PointTransaction(
                kind=booking["kind"],
                points=booking["points"],
                booked_on=booked_on,
                expires_on=add_months(booked_on, validity_months) if earned else None,
                description=booking.get("description", ""),
            )
        )
    return customer
