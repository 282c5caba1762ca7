"""Handing a conversation to people and back: the queue, claiming, closing, service hours.

The state lives in the business database (the conversation's `mode` and its
open handoff), not in Rasa: while a conversation is `queued` or with an `agent`,
the gateway stores the customer's messages for the agent and never asks the
assistant, however long the wait.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from bot.db.orm import Agent, AgentNote, Conversation, Handoff, ServiceHours, utcnow

logger = logging.getLogger(__name__)

OPEN_STATUSES = ("waiting", "claimed")
MINUTES_PER_CUSTOMER = 4
"""Rough handling time per waiting customer, for the wait estimate."""
AGENT_ONLINE_WINDOW = dt.timedelta(minutes=2)
"""An agent whose console checked in this recently counts as online."""


@dataclass(frozen=True)
class Availability:
    """What to tell a customer who asked for a person."""

    open_now: bool
    wait_minutes: int
    next_opening: dt.datetime | None


def open_handoff(session: Session, conversation_id: int) -> Handoff | None:
    """The conversation's handoff that is waiting or with an agent, if any."""
    return session.scalar(
        select(Handoff).where(
            Handoff.conversation_id == conversation_id, Handoff.status.in_(OPEN_STATUSES)
        )
    )


def request(
    session: Session,
    *,
    conversation: Conversation,
    reason: str,
    summary: dict[str, Any],
    now: dt.datetime | None = None,
) -> Handoff:
    """Queue the conversation for a person; asking again keeps the place in the queue."""
    current = open_handoff(session, conversation.id)
    if current is not None:
        return current
    handoff = Handoff(
        conversation_id=conversation.id,
        reason=reason,
        status="waiting",
        summary=summary,
        requested_at=now or utcnow(),
    )
    session.add(handoff)
    conversation.mode = "queued"
    session.flush()
    logger.info("Conversation %s is waiting for a person (%s)", conversation.sender_id, reason)
    return handoff


def claim(
    session: Session, *, handoff_id: int, agent: Agent, now: dt.datetime | None = None
) -> bool:
    """Take a waiting conversation; exactly one of several agents clicking at once wins."""
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == "waiting")
        .values(status="claimed", agent_id=agent.id, claimed_at=now or utcnow())
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        return False
    handoff = session.get_one(Handoff, handoff_id)
    session.refresh(handoff)
    handoff.conversation.mode = "agent"
    logger.info(
        "Agent %s took over conversation %s", agent.username, handoff.conversation.sender_id
    )
    return True


def close(session: Session, *, handoff: Handoff, now: dt.datetime | None = None) -> None:
    """End the handoff: the assistant answers the conversation again."""
    handoff.status = "closed"
    handoff.closed_at = now or utcnow()
    handoff.conversation.mode = "bot"
    logger.info("Conversation %s is back with the assistant", handoff.conversation.sender_id)


def queue(session: Session) -> list[Handoff]:
    """Open handoffs, oldest first (the console puts Gold customers on top)."""
    return list(
        session.scalars(
            select(Handoff).where(Handoff.status.in_(OPEN_STATUSES)).order_by(Handoff.requested_at)
        )
    )


def availability(session: Session, *, now: dt.datetime, time_zone: str) -> Availability:
    """Whether people answer now and roughly how long the wait is, or when they start again."""
    hours = list(session.scalars(select(ServiceHours)))
    local = now.astimezone(ZoneInfo(time_zone))
    if not is_open(hours, local):
        return Availability(False, 0, next_opening(hours, local))
    waiting = session.scalar(
        select(func.count()).select_from(Handoff).where(Handoff.status == "waiting")
    )
    online = session.scalar(
        select(func.count())
        .select_from(Agent)
        .where(Agent.last_seen_at >= now - AGENT_ONLINE_WINDOW)
    )
    per_agent = math.ceil((waiting or 0) / max(online or 0, 1))
    return Availability(True, max(per_agent, 1) * MINUTES_PER_CUSTOMER, None)


def is_open(hours: Sequence[ServiceHours], local: dt.datetime) -> bool:
    """Whether `local` (shop time) lies within the service hours of its weekday."""
    return any(h.weekday == local.weekday() and h.opens <= local.time() < h.closes for h in hours)


def next_opening(hours: Sequence[ServiceHours], local: dt.datetime) -> dt.datetime | None:
    """The next moment (shop time) people start answering; None if there are no hours."""
    for days_ahead in range(8):
        day = local.date() + dt.timedelta(days=days_ahead)
        for h in sorted(hours, key=lambda h: h.opens):
            if h.weekday != day.weekday():
                continue
            start = dt.datetime.combine(day, h.opens, tzinfo=local.tzinfo)
            if start > local:
                return start
    return None


def transfer(session: Session, *, handoff: Handoff, from_agent: Agent, to_agent: Agent) -> bool:
    """Pass a claimed conversation to a colleague; only the agent handling it can."""
    if handoff.status != "claimed" or handoff.agent_id != from_agent.id:
        return False
    handoff.agent_id = to_agent.id
    logger.info(
        "Agent %s passed conversation %s to %s",
        from_agent.username,
        handoff.conversation.sender_id,
        to_agent.username,
    )
    return True


def add_note(session: Session, *, handoff: Handoff, agent: Agent, text: str) -> AgentNote:
    """An internal note for colleagues; the customer never sees it."""
    note = AgentNote(handoff_id=handoff.id, agent_id=agent.id, text=text)
    session.add(note)
    session.flush()
    return note


def due_for_reminder(session: Session, *, now: dt.datetime, after: dt.timedelta) -> list[int]:
    """Handoffs waiting longer than `after` whose customer has not been reassured yet."""
    return list(
        session.scalars(
            select(Handoff.id).where(
                Handoff.status == "waiting",
                Handoff.reminded_at.is_(None),
                Handoff.requested_at <= now - after,
            )
        )
    )


def mark_reminded(session: Session, *, handoff_id: int, now: dt.datetime) -> bool:
    """Claim the one reminder of a handoff; False if another gateway sent it already."""
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.reminded_at.is_(None))
        .values(reminded_at=now)
    )
    return cast(CursorResult[Any], result).rowcount == 1
