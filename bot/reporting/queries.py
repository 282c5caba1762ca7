"""Reads the business database for reports; returns plain rows, callers own the session."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeAlias

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.db.orm import Conversation, Feedback, Handoff, Message

RatingRow: TypeAlias = tuple[
    str, str, int | None, str | None, str, str, dt.datetime, dt.datetime | None
]


@dataclass(frozen=True)
class Rating:
    """One rating question with its answer (if any), as reports show it."""

    kind: str
    status: str
    score: int | None
    comment: str | None
    channel: str
    language: str
    asked_at: dt.datetime
    answered_at: dt.datetime | None

    @property
    def at(self) -> dt.datetime:
        """When the customer answered, or else when they were asked."""
        return self.answered_at or self.asked_at


@dataclass(frozen=True)
class CustomerMessage:
    """One message a customer wrote, with its thread's channel and language."""

    conversation_id: int
    sender_id: str
    channel: str
    language: str
    at: dt.datetime


@dataclass(frozen=True)
class HandoffWait:
    """A handoff and the first agent message after it (None: not answered yet)."""

    conversation_id: int
    channel: str
    language: str
    requested_at: dt.datetime
    replied_at: dt.datetime | None

    @property
    def wait_seconds(self) -> float | None:
        if self.replied_at is None:
            return None
        return (self.replied_at - self.requested_at).total_seconds()


def ratings(session: Session, *, start: dt.datetime, end: dt.datetime) -> list[Rating]:
    """Every question asked in [start, end), answered or not."""
    query = _ratings().where(Feedback.asked_at >= start, Feedback.asked_at < end)
    return [_rating(row) for row in session.execute(query.order_by(Feedback.id)).tuples()]


def latest_comments(
    session: Session, *, start: dt.datetime, end: dt.datetime, limit: int
) -> list[Rating]:
    """The newest ratings with a written comment among the questions asked in [start, end)."""
    query = _ratings().where(
        Feedback.asked_at >= start,
        Feedback.asked_at < end,
        func.trim(func.coalesce(Feedback.comment, "")) != "",
    )
    return [_rating(row) for row in session.execute(_newest_first(query).limit(limit)).tuples()]


def recent_ratings(
    session: Session, *, conversation_id: int, customer_id: int | None, limit: int = 3
) -> list[Rating]:
    """A customer's latest ratings (of any of their chats), or else this chat's."""
    mine = Feedback.conversation_id == conversation_id
    if customer_id is not None:
        mine = or_(mine, Feedback.customer_id == customer_id)
    query = _ratings().where(mine, Feedback.status == "rated", Feedback.score.is_not(None))
    return [_rating(row) for row in session.execute(_newest_first(query).limit(limit)).tuples()]


def customer_messages(
    session: Session, *, start: dt.datetime, end: dt.datetime
) -> list[CustomerMessage]:
    """The messages customers wrote in [start, end)."""
    query = (
        select(
            Message.conversation_id,
            Conversation.sender_id,
            Conversation.channel,
            Conversation.language,
            Message.created_at,
        )
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(Message.author == "customer", Message.created_at >= start, Message.created_at < end)
    )
    return [
        CustomerMessage(conversation_id, sender, channel, language, as_utc(at))
        for conversation_id, sender, channel, language, at in session.execute(query)
    ]


def handoff_waits(session: Session, *, start: dt.datetime, end: dt.datetime) -> list[HandoffWait]:
    """Handoffs requested in [start, end) with the first agent reply while each was open."""
    first_reply = (
        select(func.min(Message.created_at))
        .where(
            Message.conversation_id == Handoff.conversation_id,
            Message.author == "agent",
            Message.created_at >= Handoff.requested_at,
            or_(Handoff.closed_at.is_(None), Message.created_at <= Handoff.closed_at),
        )
        .correlate(Handoff)
        .scalar_subquery()
    )
    query = (
        select(
            Handoff.conversation_id,
            Conversation.channel,
            Conversation.language,
            Handoff.requested_at,
            first_reply,
        )
        .join(Conversation, Handoff.conversation_id == Conversation.id)
        .where(Handoff.requested_at >= start, Handoff.requested_at < end)
        .order_by(Handoff.requested_at)
    )
    return [
        HandoffWait(thread, channel, language, as_utc(asked), as_utc(reply) if reply else None)
        for thread, channel, language, asked, reply in session.execute(query)
    ]


def _ratings() -> Select[RatingRow]:
    return select(
        Feedback.kind,
        Feedback.status,
        Feedback.score,
        Feedback.comment,
        Feedback.channel,
        Feedback.language,
        Feedback.asked_at,
        Feedback.answered_at,
    )


def _newest_first(query: Select[RatingRow]) -> Select[RatingRow]:
    return query.order_by(
        func.coalesce(Feedback.answered_at, Feedback.asked_at).desc(), Feedback.id.desc()
    )


def _rating(row: RatingRow) -> Rating:
    kind, status, score, comment, channel, language, asked_at, answered_at = row
    return Rating(
        kind,
        status,
        score,
        comment,
        channel,
        language,
        as_utc(asked_at),
        as_utc(answered_at) if answered_at else None,
    )
