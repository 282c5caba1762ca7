"""Links channel identities to customers, so only a proven customer sees their own data.

A link is made by proof the channel gives (a WhatsApp sender number, a Telegram
contact the sender shared of themselves, a shop login token) or by member
number plus date of birth. A member number alone proves nothing, and a failed
check never says which of the two was wrong. Three failures in a row lock the
check for that conversation for fifteen minutes.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.db.orm import ChannelIdentity, Customer, VerificationAttempt, utcnow

logger = logging.getLogger(__name__)

MAX_FAILED_ATTEMPTS = 3
LOCK_DURATION = dt.timedelta(minutes=15)

_PHONE_NOISE = re.compile(r"[\s()./-]")
_CUSTOMER_BY_SENDER = (
    select(Customer)
    .join(ChannelIdentity)
    .where(ChannelIdentity.sender_id == bindparam("sender_id"))
)
"""Built once: the gateway asks it for every message, and building it costs more than running it."""


class VerifiedVia(str, Enum):
    """How a channel identity was proven; stored with the link for the audit trail."""

    WHATSAPP_NUMBER = "whatsapp_number"
    TELEGRAM_CONTACT = "telegram_contact"
    SHOP_LOGIN = "shop_login"
    MEMBER_NUMBER_AND_BIRTH_DATE = "member_and_birth"


class Outcome(str, Enum):
    VERIFIED = "verified"
    FAILED = "failed"
    LOCKED = "locked"


@dataclass(frozen=True)
class CheckResult:
    outcome: Outcome
    customer: Customer | None = None
    locked_until: dt.datetime | None = None
    attempts_left: int = 0


def normalise_phone(number: str) -> str | None:
    """A phone number in E.164 form (+4915112345678), or None if it is not one."""
    digits = _PHONE_NOISE.sub("", number.removeprefix("whatsapp:"))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif not digits.startswith("+"):
        digits = "+" + digits
    return digits if re.fullmatch(r"\+\d{7,15}", digits) else None


def rasa_metadata(customer: Customer | None) -> dict[str, Any] | None:
    """What the assistant learns about the sender: verified or not, and the first name."""
    if customer is None:
        return None
    return {"verified": True, "first_name": customer.first_name}


def linked_customer(session: Session, sender_id: str) -> Customer | None:
    """The customer this conversation is proven to belong to, if any."""
    return session.scalar(_CUSTOMER_BY_SENDER, {"sender_id": sender_id})


def link(
    session: Session, *, customer: Customer, channel: str, sender_id: str, via: VerifiedVia
) -> ChannelIdentity:
    """Record that `sender_id` is `customer`'s; a sender linked to someone else moves over."""
    identity = session.scalar(select(ChannelIdentity).where(ChannelIdentity.sender_id == sender_id))
    if identity is None:
        identity = ChannelIdentity(channel=channel, sender_id=sender_id)
        session.add(identity)
    identity.customer = customer
    identity.verified_via = via.value
    identity.verified_at = utcnow()
    session.flush()
    logger.info(
        "Conversation %s is now linked to member %s (proven by %s)",
        sender_id,
        customer.member_number,
        via.value.replace("_", " "),
    )
    return identity


def unlink(session: Session, sender_id: str) -> bool:
    """Forget who is behind `sender_id` ("log out"); True if there was a link."""
    result = session.execute(delete(ChannelIdentity).where(ChannelIdentity.sender_id == sender_id))
    removed = cast(CursorResult[Any], result).rowcount
    if removed:
        logger.info("Conversation %s was unlinked at the customer's request", sender_id)
    return bool(removed)


def link_by_proof(
    session: Session,
    *,
    channel: str,
    sender_id: str,
    via: VerifiedVia,
    phone: str | None = None,
    member_number: str | None = None,
) -> Customer | None:
    """Link a sender to the customer whose mobile or member number the channel has proven."""
    if phone is not None:
        number = normalise_phone(phone)
        match = Customer.mobile == number if number else None
    else:
        match = Customer.member_number == member_number if member_number else None
    customer = session.scalar(select(Customer).where(match)) if match is not None else None
    if customer is None:
        return None
    current = linked_customer(session, sender_id)
    if current is None or current.id != customer.id:
        link(session, customer=customer, channel=channel, sender_id=sender_id, via=via)
    return customer


def check_member(
    session: Session,
    *,
    channel: str,
    sender_id: str,
    member_number: str,
    birth_date: dt.date,
    now: dt.datetime | None = None,
) -> CheckResult:
    """Verify member number plus date of birth; on success the conversation is linked."""
    now = now or utcnow()
    before = lock_state(_attempts(session, sender_id), now)
    if before.locked_until is not None:
        return CheckResult(Outcome.LOCKED, locked_until=before.locked_until)
    customer = session.scalar(select(Customer).where(Customer.member_number == member_number))
    succeeded = customer is not None and customer.birth_date == birth_date
    session.add(
        VerificationAttempt(
            sender_id=sender_id,
            member_number=member_number[:20],
            succeeded=succeeded,
            attempted_at=now,
        )
    )
    session.flush()
    if succeeded:
        assert customer is not None
        link(
            session,
            customer=customer,
            channel=channel,
            sender_id=sender_id,
            via=VerifiedVia.MEMBER_NUMBER_AND_BIRTH_DATE,
        )
        return CheckResult(Outcome.VERIFIED, customer=customer)
    after = lock_state(_attempts(session, sender_id), now)
    logger.warning(
        "Failed identity check in conversation %s (member number given: %s)%s",
        sender_id,
        member_number,
        f"; checks are locked until {after.locked_until:%H:%M} UTC" if after.locked_until else "",
    )
    if after.locked_until is not None:
        return CheckResult(Outcome.LOCKED, locked_until=after.locked_until)
    return CheckResult(Outcome.FAILED, attempts_left=MAX_FAILED_ATTEMPTS - after.failures_in_a_row)


def verification_locked_until(
    session: Session, sender_id: str, now: dt.datetime | None = None
) -> dt.datetime | None:
    """When the identity check of this conversation opens again, or None if it is open."""
    return lock_state(_attempts(session, sender_id), now or utcnow()).locked_until


@dataclass(frozen=True)
class LockState:
    locked_until: dt.datetime | None
    failures_in_a_row: int


def lock_state(attempts: Sequence[tuple[dt.datetime, bool]], now: dt.datetime) -> LockState:
    """Whether failed attempts (oldest first) lock the check now, and the failures since."""
    failures = 0
    locked_until: dt.datetime | None = None
    for attempted_at, succeeded in attempts:
        if locked_until is not None and attempted_at < locked_until:
            continue
        locked_until = None
        failures = 0 if succeeded else failures + 1
        if failures == MAX_FAILED_ATTEMPTS:
            locked_until, failures = attempted_at + LOCK_DURATION, 0
    if locked_until is not None and locked_until <= now:
        locked_until = None
    return LockState(locked_until, failures)


def _attempts(session: Session, sender_id: str) -> list[tuple[dt.datetime, bool]]:
    rows = session.execute(
        select(VerificationAttempt.attempted_at, VerificationAttempt.succeeded)
        .where(VerificationAttempt.sender_id == sender_id)
        .order_by(VerificationAttempt.attempted_at, VerificationAttempt.id)
    )
    return [(as_utc(at), succeeded) for at, succeeded in rows]
