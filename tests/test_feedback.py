"""The rating rules: reading typed scores, what counts as low, once a day, "no thanks" kept."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import feedback, identity
from bot.db import conversations as queries
from bot.db.orm import Customer, Feedback, Handoff
from bot.feedback import Band
from bot.identity import VerifiedVia

MORNING = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
CHAT = "telegram:501"
OTHER_CHAT = "whatsapp:+4915112345678"


@pytest.mark.parametrize(
    ("text", "kind", "score"),
    [
        ("4", "csat", 4),
        ("4 Sterne", "csat", 4),
        ("★★★", "csat", 3),
        ("⭐⭐⭐⭐⭐", "csat", 5),
        ("5/5", "csat", 5),
        ("ich gebe euch eine 8", "nps", 8),
        ("8 von 10", "nps", 8),
        ("8 out of 10", "nps", 8),
        ("0", "nps", 0),
        ("vier", "csat", 4),
        ("Fünf, war top", "csat", 5),
        ("ten", "nps", 10),
        ("zehn", "ces", None),
        ("6", "csat", None),
        ("3 oder 4", "csat", None),
        ("super", "csat", None),
        ("", "csat", None),
    ],
)
def test_typed_scores_are_read_within_the_scale(text: str, kind: str, score: int | None) -> None:
    assert feedback.parse_score(text, kind) == score


@pytest.mark.parametrize(
    ("kind", "score", "expected"),
    [
        ("csat", 1, Band.LOW),
        ("csat", 2, Band.LOW),
        ("csat", 3, Band.MIDDLE),
        ("csat", 4, Band.HIGH),
        ("csat", 5, Band.HIGH),
        ("nps", 0, Band.LOW),
        ("nps", 6, Band.LOW),
        ("nps", 7, Band.MIDDLE),
        ("nps", 8, Band.MIDDLE),
        ("nps", 9, Band.PROMOTER),
        ("nps", 10, Band.PROMOTER),
        ("ces", 1, Band.MIDDLE),
    ],
)
def test_csat_up_to_2_and_nps_up_to_6_are_low(kind: str, score: int, expected: Band) -> None:
    assert feedback.band(kind, score) is expected


@pytest.fixture
def chats(demo_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with demo_sessions.begin() as session:
        for sender, channel in ((CHAT, "telegram"), (OTHER_CHAT, "whatsapp")):
            queries.get_or_create_conversation(
                session, channel=channel, sender_id=sender, language="de"
            )
    return demo_sessions


def ask(session: Session, sender: str, at: dt.datetime, kind: str = "csat") -> Feedback | None:
    return feedback.record_question(
        session, sender_id=sender, kind=kind, trigger="thanks", language="de", now=at
    )


def test_a_customer_is_asked_for_satisfaction_at_most_once_a_day(
    chats: sessionmaker[Session],
) -> None:
    with chats.begin() as session:
        assert feedback.may_ask_satisfaction(session, sender_id=CHAT, now=MORNING)
        ask(session, CHAT, MORNING)
        later = MORNING + dt.timedelta(hours=8)
        assert not feedback.may_ask_satisfaction(session, sender_id=CHAT, now=later)
        assert feedback.may_ask_satisfaction(session, sender_id=OTHER_CHAT, now=later)
        next_day = MORNING + dt.timedelta(hours=24, minutes=1)
        assert feedback.may_ask_satisfaction(session, sender_id=CHAT, now=next_day)


def test_the_daily_limit_follows_a_verified_customer_across_channels(
    chats: sessionmaker[Session],
) -> None:
    with chats.begin() as session:
        anna = session.scalars(select(Customer).where(Customer.first_name == "Anna")).one()
        for sender in (CHAT, OTHER_CHAT):
            identity.link(
                session,
                customer=anna,
                channel=sender.split(":")[0],
                sender_id=sender,
                via=VerifiedVia.MEMBER_NUMBER_AND_BIRTH_DATE,
            )
        ask(session, CHAT, MORNING)
        later = MORNING + dt.timedelta(hours=2)
        assert not feedback.may_ask_satisfaction(session, sender_id=OTHER_CHAT, now=later)


def test_a_recommendation_question_does_not_count_against_the_daily_limit(
    chats: sessionmaker[Session],
) -> None:
    with chats.begin() as session:
        ask(session, CHAT, MORNING, kind="nps")
        assert feedback.may_ask_satisfaction(session, sender_id=CHAT, now=MORNING)


def test_a_score_and_its_comment_are_stored_exactly_as_given(
    chats: sessionmaker[Session],
) -> None:
    comment = '<b>Schnell</b> & freundlich – "danke"'
    with chats.begin() as session:
        question = ask(session, CHAT, MORNING)
        assert question is not None
        rated = feedback.record_score(session, sender_id=CHAT, kind="csat", score=4, now=MORNING)
        assert rated is question
        feedback.record_comment(session, sender_id=CHAT, comment=comment)
    with chats() as session:
        [row] = session.scalars(select(Feedback)).all()
        assert (row.status, row.score, row.comment, row.channel) == (
            "rated",
            4,
            comment,
            "telegram",
        )
        assert row.answered_at is not None and not row.handled_by_human


def test_no_thanks_is_kept_and_a_later_score_needs_a_new_question(
    chats: sessionmaker[Session],
) -> None:
    with chats.begin() as session:
        ask(session, CHAT, MORNING)
        assert feedback.decline(session, sender_id=CHAT, kind="csat", now=MORNING) is not None
        assert (
            feedback.record_score(session, sender_id=CHAT, kind="csat", score=5, now=MORNING)
            is None
        )
        assert not feedback.may_ask_satisfaction(session, sender_id=CHAT, now=MORNING)
    with chats() as session:
        assert session.scalars(select(Feedback.status)).all() == ["declined"]


def test_after_a_handoff_the_rating_names_the_agent(
    chats: sessionmaker[Session],
) -> None:
    with chats.begin() as session:
        conversation = queries.find_conversation(session, sender_id=CHAT)
        assert conversation is not None
        closed = Handoff(
            conversation_id=conversation.id,
            reason="asked_for_person",
            status="closed",
            requested_at=MORNING,
            closed_at=MORNING,
        )
        session.add(closed)
        session.flush()
        question = feedback.record_question(
            session, sender_id=CHAT, kind="csat", trigger="handoff", language="en", now=MORNING
        )
        assert question is not None
        assert question.handled_by_human and question.handoff_id == closed.id
        assert question.language == "en"


def test_an_unknown_chat_is_never_asked(chats: sessionmaker[Session]) -> None:
    with chats.begin() as session:
        assert not feedback.may_ask_satisfaction(session, sender_id="rest:nobody", now=MORNING)
        assert ask(session, "rest:nobody", MORNING) is None
