"""Which customer messages still need an answer, and taking one so only one process answers it.

A message needs a late answer when the assistant could not answer it (status
`unanswered`, the customer got an apology), or when the gateway process that
was answering it stopped (still `received`, or `retrying`, long after it came).
Taking a message is one conditional UPDATE, so of several gateway processes
exactly one wins it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from bot.db.orm import Conversation, Message


@dataclass(frozen=True)
class RetryPolicy:
    stale_after: dt.timedelta
    """A message still being answered after this long was left behind by a stopped process."""
    max_age: dt.timedelta
    """Older messages are not answered late any more (the customer has moved on)."""
    max_attempts: int


@dataclass(frozen=True)
class Due:
    message_id: int
    sender_id: str


def due(
    session: Session,
    *,
    now: dt.datetime,
    policy: RetryPolicy,
    channels: Collection[str],
    limit: int = 100,
) -> list[Due]:
    """Messages to answer late, oldest first, on channels that can send on their own."""
    rows = session.execute(
        select(Message.id, Conversation.sender_id)
        .join(Conversation)
        .where(
            Message.direction == "in",
            Message.created_at >= now - policy.max_age,
            Message.attempts < policy.max_attempts,
            Conversation.mode == "bot",
            Conversation.channel.in_(channels),
            _waiting(now, policy),
        )
        .order_by(Message.id)
        .limit(limit)
    )
    return [Due(message_id, sender_id) for message_id, sender_id in rows]


def take(session: Session, *, message_id: int, now: dt.datetime, policy: RetryPolicy) -> bool:
    """Mark the message as being answered late by this process; False when another has it."""
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, _waiting(now, policy))
        .values(status="retrying", claimed_at=now, attempts=Message.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _waiting(now: dt.datetime, policy: RetryPolicy) -> ColumnElement[bool]:
    left_behind = now - policy.stale_after
    return or_(
        Message.status == "unanswered",
        and_(Message.status == "received", Message.created_at < left_behind),
        and_(Message.status == "retrying", Message.claimed_at < left_behind),
    )
