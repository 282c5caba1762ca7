"""Identity links: proof by channel or by member number plus birth date, locks after failures."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import identity
from bot.db.orm import ChannelIdentity, VerificationAttempt
from bot.identity import Outcome, VerifiedVia

ANNA_BORN = dt.date(1988, 4, 12)
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("whatsapp:+4915112345678", "+4915112345678"),
        ("+49 151 1234-5678", "+4915112345678"),
        ("004915112345678", "+4915112345678"),
        ("4915112345678", "+4915112345678"),
        ("whatsapp:abc", None),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw: str, expected: str | None) -> None:
    assert identity.normalise_phone(raw) == expected


def _attempts(*results: tuple[int, bool]) -> list[tuple[dt.datetime, bool]]:
    return [(NOW + dt.timedelta(minutes=minute), ok) for minute, ok in results]


def test_three_failures_in_a_row_lock_for_fifteen_minutes() -> None:
    attempts = _attempts((0, False), (1, False), (2, False))
    assert identity.lock_state(attempts, NOW + dt.timedelta(minutes=3)).locked_until == (
        NOW + dt.timedelta(minutes=17)
    )
    assert identity.lock_state(attempts, NOW + dt.timedelta(minutes=17)).locked_until is None


def test_a_success_resets_the_count_and_a_lock_ends_with_a_fresh_count() -> None:
    after_success = _attempts((0, False), (1, False), (2, True), (3, False))
    state = identity.lock_state(after_success, NOW + dt.timedelta(minutes=4))
    assert (state.locked_until, state.failures_in_a_row) == (None, 1)
    after_lock = _attempts((0, False), (1, False), (2, False), (20, False))
    state = identity.lock_state(after_lock, NOW + dt.timedelta(minutes=21))
    assert (state.locked_until, state.failures_in_a_row) == (None, 1)


def _check(
    session: Session, member: str, born: dt.date, now: dt.datetime = NOW
) -> identity.CheckResult:
    return identity.check_member(
        session,
        channel="rest",
        sender_id="rest:visitor",
        member_number=member,
        birth_date=born,
        now=now,
    )


def test_member_number_and_birth_date_link_the_chat(demo_sessions: sessionmaker[Session]) -> None:
    with demo_sessions.begin() as session:
        assert _check(session, "NL-100234", ANNA_BORN).outcome is Outcome.VERIFIED
    with demo_sessions() as session:
        customer = identity.linked_customer(session, "rest:visitor")
        assert customer is not None and customer.first_name == "Anna"
        link = session.scalars(select(ChannelIdentity)).one()
        assert link.verified_via == VerifiedVia.MEMBER_NUMBER_AND_BIRTH_DATE.value


def test_a_wrong_date_and_an_unknown_number_fail_alike_and_lock_after_three(
    demo_sessions: sessionmaker[Session],
) -> None:
    with demo_sessions.begin() as session:
        wrong_date = _check(session, "NL-100234", dt.date(1988, 4, 13))
        unknown = _check(session, "NL-999999", ANNA_BORN, NOW + dt.timedelta(seconds=1))
        assert (wrong_date.outcome, unknown.outcome) == (Outcome.FAILED, Outcome.FAILED)
        assert (wrong_date.customer, unknown.customer) == (None, None)
        assert (wrong_date.attempts_left, unknown.attempts_left) == (2, 1)
        third = _check(session, "NL-100234", dt.date(1999, 1, 1), NOW + dt.timedelta(seconds=2))
        assert third.outcome is Outcome.LOCKED
        # Even the right answer is refused while locked, and nothing more is recorded.
        while_locked = _check(session, "NL-100234", ANNA_BORN, NOW + dt.timedelta(minutes=5))
        assert while_locked.outcome is Outcome.LOCKED
        assert session.scalar(select(func.count()).select_from(VerificationAttempt)) == 3
        assert identity.linked_customer(session, "rest:visitor") is None
        later = NOW + dt.timedelta(minutes=16)
        assert _check(session, "NL-100234", ANNA_BORN, later).outcome is Outcome.VERIFIED


def test_one_customer_gathers_identities_from_every_channel(
    demo_sessions: sessionmaker[Session],
) -> None:
    with demo_sessions.begin() as session:
        whatsapp = identity.link_by_proof(
            session,
            channel="whatsapp",
            sender_id="whatsapp:+4915112345678",
            phone="whatsapp:+4915112345678",
            via=VerifiedVia.WHATSAPP_NUMBER,
        )
        telegram = identity.link_by_proof(
            session,
            channel="telegram",
            sender_id="telegram:700000001",
            phone="4915112345678",
            via=VerifiedVia.TELEGRAM_CONTACT,
        )
        assert whatsapp is not None and telegram is not None and whatsapp.id == telegram.id
        stranger = identity.link_by_proof(
            session,
            channel="whatsapp",
            sender_id="whatsapp:+491700000000",
            phone="+491700000000",
            via=VerifiedVia.WHATSAPP_NUMBER,
        )
        assert stranger is None
    with demo_sessions() as session:
        anna = identity.linked_customer(session, "telegram:700000001")
        assert anna is not None
        assert sorted(i.channel for i in anna.identities) == ["telegram", "whatsapp"]


def test_forgetting_unlinks_only_this_chat(demo_sessions: sessionmaker[Session]) -> None:
    with demo_sessions.begin() as session:
        for sender in ("rest:a", "rest:b"):
            identity.link_by_proof(
                session,
                channel="rest",
                sender_id=sender,
                member_number="NL-100876",
                via=VerifiedVia.SHOP_LOGIN,
            )
    with demo_sessions.begin() as session:
        assert identity.unlink(session, "rest:a") is True
        assert identity.unlink(session, "rest:a") is False
    with demo_sessions() as session:
        assert identity.linked_customer(session, "rest:a") is None
        remaining = identity.linked_customer(session, "rest:b")
        assert remaining is not None and remaining.first_name == "John"
