"""Ratings asked in the conversation: when the assistant may ask, what a score means, storing it.

The questions and answers are Rasa's (actions/feedback.py); the rules a shop owner
would recognise live here. A satisfaction question (CSAT) is asked at most once a
day per customer (per chat when the customer is not verified), and a "no thanks"
counts as an answer, so it is respected for that day. Every question is stored
when it is asked, so the report can show how many customers answer.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from enum import Enum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import identity
from bot.db import conversations as queries
from bot.db.orm import Conversation, Customer, Feedback, Handoff

logger = logging.getLogger(__name__)

SCALES: dict[str, tuple[int, int]] = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
ASK_INTERVAL = dt.timedelta(hours=24)
STARS = ("★", "⭐")
_COUNTING = (
    "null eins zwei drei vier fünf sechs sieben acht neun zehn",
    "zero one two three four five six seven eight nine ten",
)
NUMBER_WORDS = {word: n for words in _COUNTING for n, word in enumerate(words.split())} | {
    "zwo": 2,
    "fuenf": 5,
    "funf": 5,
}
_OUT_OF = re.compile(r"(\d{1,2})\s*(?:/|von|out of|of|aus)\s*(\d{1,2})")
_NUMBER = re.compile(r"\d{1,2}")
_WORD = re.compile(r"[a-zäöüß]+")


class Band(str, Enum):
    """How a score is answered: low scores get an apology and the offer of a person."""

    LOW = "low"
    MIDDLE = "middle"
    HIGH = "high"
    PROMOTER = "promoter"


def band(kind: str, score: int) -> Band:
    """CSAT ≤ 2 and NPS ≤ 6 are low (the issue's thresholds); NPS 9–10 are promoters."""
    if kind == "csat":
        return Band.LOW if score <= 2 else Band.MIDDLE if score == 3 else Band.HIGH
    if kind == "nps":
        return Band.LOW if score <= 6 else Band.MIDDLE if score <= 8 else Band.PROMOTER
    return Band.MIDDLE


def parse_score(text: str, kind: str) -> int | None:
    """Read a typed rating ("4", "4/5", "vier", "★★★★", "eine glatte 8"); None if it is not one."""
    lowest, highest = SCALES[kind]
    stars = sum(text.count(star) for star in STARS)
    if stars:
        return stars if lowest <= stars <= highest else None
    lowered = text.lower()
    out_of = _OUT_OF.search(lowered)
    candidates = [int(out_of.group(1))] if out_of else [int(n) for n in _NUMBER.findall(lowered)]
    if not candidates:
        candidates = [NUMBER_WORDS[w] for w in _WORD.findall(lowered) if w in NUMBER_WORDS]
    if len(set(candidates)) != 1:
        return None
    score = candidates[0]
    return score if lowest <= score <= highest else None


def may_ask_satisfaction(session: Session, *, sender_id: str, now: dt.datetime) -> bool:
    """False when this customer (or this chat) was asked for a CSAT rating within a day."""
    chat = _chat(session, sender_id)
    return chat is not None and not _asked_recently(session, *chat, now=now)


def ask_satisfaction(
    session: Session, *, sender_id: str, trigger: str, language: str, now: dt.datetime
) -> Feedback | None:
    """Store a CSAT question unless this customer was asked within a day; None when not asked."""
    chat = _chat(session, sender_id)
    if chat is None or _asked_recently(session, *chat, now=now):
        return None
    return _question(session, *chat, kind="csat", trigger=trigger, language=language, now=now)


def record_question(
    session: Session,
    *,
    sender_id: str,
    kind: str,
    trigger: str,
    language: str,
    now: dt.datetime,
) -> Feedback | None:
    """Store that a rating was asked for; after a handoff, who handled it comes along."""
    chat = _chat(session, sender_id)
    if chat is None:
        return None
    return _question(session, *chat, kind=kind, trigger=trigger, language=language, now=now)


def _chat(session: Session, sender_id: str) -> tuple[Conversation, Customer | None] | None:
    conversation = queries.find_conversation(session, sender_id=sender_id)
    if conversation is None:
        return None
    return conversation, identity.linked_customer(session, sender_id)


def _asked_recently(
    session: Session, conversation: Conversation, customer: Customer | None, *, now: dt.datetime
) -> bool:
    same_person = Feedback.conversation_id == conversation.id
    if customer is not None:
        same_person = or_(same_person, Feedback.customer_id == customer.id)
    recent = session.scalar(
        select(Feedback.id)
        .where(same_person, Feedback.kind == "csat", Feedback.asked_at > now - ASK_INTERVAL)
        .limit(1)
    )
    return recent is not None


def _question(
    session: Session,
    conversation: Conversation,
    customer: Customer | None,
    *,
    kind: str,
    trigger: str,
    language: str,
    now: dt.datetime,
) -> Feedback:
    handoff = _latest_closed_handoff(session, conversation.id) if trigger == "handoff" else None
    question = Feedback(
        conversation_id=conversation.id,
        customer_id=customer.id if customer else None,
        kind=kind,
        trigger=trigger,
        status="asked",
        channel=conversation.channel,
        language=language,
        handled_by_human=handoff is not None,
        handoff_id=handoff.id if handoff else None,
        agent_id=handoff.agent_id if handoff else None,
        asked_at=now,
    )
    session.add(question)
    session.flush()
    return question


def record_score(
    session: Session, *, sender_id: str, kind: str, score: int, now: dt.datetime
) -> Feedback | None:
    """Put the score on the open question of this kind (the latest one asked in this chat)."""
    question = _open_question(session, sender_id, kind)
    if question is None:
        return None
    question.score = score
    question.status = "rated"
    question.answered_at = now
    logger.info("A customer rated %s %s on %s", kind.upper(), score, question.channel)
    return question


def record_comment(session: Session, *, sender_id: str, comment: str) -> Feedback | None:
    """Keep the comment exactly as written, on the chat's latest rating."""
    conversation = queries.find_conversation(session, sender_id=sender_id)
    if conversation is None:
        return None
    rating = session.scalar(
        select(Feedback)
        .where(Feedback.conversation_id == conversation.id, Feedback.status == "rated")
        .order_by(Feedback.answered_at.desc(), Feedback.id.desc())
        .limit(1)
    )
    if rating is not None:
        rating.comment = comment
    return rating


def decline(session: Session, *, sender_id: str, kind: str, now: dt.datetime) -> Feedback | None:
    """Remember the "no thanks", so the customer is not asked again that day."""
    question = _open_question(session, sender_id, kind)
    if question is not None:
        question.status = "declined"
        question.answered_at = now
    return question


def _open_question(session: Session, sender_id: str, kind: str) -> Feedback | None:
    conversation = queries.find_conversation(session, sender_id=sender_id)
    if conversation is None:
        return None
    return session.scalar(
        select(Feedback)
        .where(
            Feedback.conversation_id == conversation.id,
            Feedback.kind == kind,
            Feedback.status == "asked",
        )
        .order_by(Feedback.asked_at.desc(), Feedback.id.desc())
        .limit(1)
    )


def _latest_closed_handoff(session: Session, conversation_id: int) -> Handoff | None:
    return session.scalar(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.status == "closed")
        .order_by(Handoff.closed_at.desc(), Handoff.id.desc())
        .limit(1)
    )
