"""A known fortnight of service (2026-11-02 to 2026-11-15, Berlin) for the report tests.

Overall: CSAT 70 % (10 ratings, 7 of them 4–5; 13 asked), NPS +30 (5 promoters,
3 passives, 2 detractors), CES 4.0 (2, 3, 4, 7); 10 conversations of which 4 had
a handoff; waits of 2, 10 and 30 minutes and one unanswered handoff (median 10
minutes); in the tracker store 20 customer messages, 2 of them nlu_fallback (10 %).
Rows just outside the range (before, after, and across midnight in Berlin) must
not count.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine
from sqlalchemy.orm import Session

from bot.db.orm import Conversation, Feedback, Handoff, Message

BERLIN = ZoneInfo("Europe/Berlin")
FIRST, LAST = dt.date(2026, 11, 2), dt.date(2026, 11, 15)
XSS = "<script>alert(1)</script>"
QUOTED = 'Zu langsam, "leider"\nzweite Zeile'
FORMULA = '=HYPERLINK("http://evil.example","klick")'

THREADS = {
    "telegram:1001": ("telegram", "de"),
    "web:abc": ("widget", "en"),
    "whatsapp:+4915100000001": ("whatsapp", "de"),
    "rest:r1": ("rest", "en"),
}
T1, T2, T3, T4 = THREADS

CUSTOMER_MESSAGES = [
    # Before the range: a run from 1 Nov 23:30 that goes on past midnight (not counted).
    (T1, "2026-11-01 23:30"),
    (T1, "2026-11-02 00:20"),
    # Week 45: runs A and B (a 90-minute pause), C (pauses under 60 minutes), D, E.
    (T1, "2026-11-02 10:00"),
    (T1, "2026-11-02 10:05"),
    (T1, "2026-11-02 10:30"),
    (T1, "2026-11-02 12:00"),
    (T2, "2026-11-03 09:00"),
    (T2, "2026-11-03 09:50"),
    (T2, "2026-11-03 10:45"),
    (T3, "2026-11-04 15:00"),
    (T4, "2026-11-05 20:00"),
    # Week 46: F, G, H, I and J (23:30 in Berlin is still 15 Nov).
    (T1, "2026-11-09 11:00"),
    (T2, "2026-11-10 14:00"),
    (T3, "2026-11-12 09:00"),
    (T4, "2026-11-14 23:30"),
    (T2, "2026-11-15 23:30"),
    # After the range: 16 Nov in Berlin, though still 15 Nov in UTC.
    (T3, "2026-11-16 00:30"),
]

HANDOFFS = [
    # (thread, requested, first agent reply or None)
    (T3, "2026-11-04 15:01", "2026-11-04 15:03"),
    (T1, "2026-11-09 11:01", "2026-11-09 11:11"),
    (T2, "2026-11-10 14:02", "2026-11-10 14:32"),
    (T3, "2026-11-12 09:01", None),
]

RATINGS = [
    # (thread, kind, status, score, asked, comment)
    (T1, "csat", "rated", 5, "2026-11-02 10:31", FORMULA),
    (T2, "csat", "rated", 5, "2026-11-03 10:46", None),
    (T1, "csat", "rated", 4, "2026-11-04 12:00", None),
    (T2, "csat", "rated", 4, "2026-11-05 12:00", None),
    (T1, "csat", "rated", 4, "2026-11-06 12:00", "  "),
    (T2, "csat", "rated", 5, "2026-11-09 12:00", None),
    (T1, "csat", "rated", 4, "2026-11-10 12:00", None),
    (T2, "csat", "rated", 3, "2026-11-11 12:00", None),
    (T1, "csat", "rated", 2, "2026-11-12 12:00", None),
    (T2, "csat", "rated", 1, "2026-11-13 12:00", XSS),
    (T1, "csat", "asked", None, "2026-11-03 12:00", None),
    (T2, "csat", "asked", None, "2026-11-10 12:00", None),
    (T1, "csat", "declined", None, "2026-11-11 12:00", None),
    (T3, "nps", "rated", 9, "2026-11-02 13:00", None),
    (T4, "nps", "rated", 10, "2026-11-03 13:00", None),
    (T3, "nps", "rated", 10, "2026-11-04 13:00", None),
    (T4, "nps", "rated", 9, "2026-11-05 13:00", None),
    (T3, "nps", "rated", 9, "2026-11-06 13:00", None),
    (T4, "nps", "rated", 7, "2026-11-09 13:00", None),
    (T3, "nps", "rated", 8, "2026-11-10 13:00", None),
    (T4, "nps", "rated", 8, "2026-11-11 13:00", None),
    (T3, "nps", "rated", 3, "2026-11-12 13:00", QUOTED),
    (T4, "nps", "rated", 6, "2026-11-13 13:00", None),
    (T3, "ces", "rated", 2, "2026-11-04 15:30", None),
    (T3, "ces", "rated", 3, "2026-11-05 15:30", None),
    (T3, "ces", "rated", 4, "2026-11-12 15:30", None),
    (T3, "ces", "rated", 7, "2026-11-13 15:30", None),
    # Outside the range.
    (T1, "csat", "rated", 1, "2026-11-01 12:00", "vorher"),
    (T1, "nps", "rated", 0, "2026-11-16 00:30", "nachher"),
]

USER_EVENTS = [
    *[(T1, "2026-11-02 10:00", "faq")] * 8,
    *[(T2, "2026-11-10 14:00", "greet")] * 6,
    *[(T3, "2026-11-12 09:00", "club")] * 4,
    (T1, "2026-11-02 10:05", "nlu_fallback"),
    ("web:unknown", "2026-11-13 10:00", "nlu_fallback"),
]
"""20 customer messages, 2 fallbacks; the last sender has no thread in the business database."""
OUTSIDE_EVENTS = [(T1, "2026-11-01 10:00", "nlu_fallback"), (T1, "2026-11-16 00:30", "greet")]


def at(local: str) -> dt.datetime:
    """A Berlin wall-clock time as the UTC moment the database stores."""
    naive = dt.datetime.strptime(local, "%Y-%m-%d %H:%M")
    return naive.replace(tzinfo=BERLIN).astimezone(dt.timezone.utc)


def seed(session: Session) -> dict[str, int]:
    """Store the fortnight; returns the conversation id of each sender."""
    threads = {}
    for sender, (channel, language) in THREADS.items():
        conversation = Conversation(channel=channel, sender_id=sender, language=language)
        session.add(conversation)
        session.flush()
        threads[sender] = conversation.id
    for sender, when in CUSTOMER_MESSAGES:
        session.add(_message(threads[sender], "customer", "in", at(when)))
        session.add(_message(threads[sender], "bot", "out", at(when) + dt.timedelta(seconds=2)))
    for sender, requested, replied in HANDOFFS:
        session.add(
            Handoff(
                conversation_id=threads[sender],
                reason="asked_for_person",
                status="closed" if replied else "waiting",
                requested_at=at(requested),
                closed_at=at(replied) + dt.timedelta(minutes=5) if replied else None,
            )
        )
        if replied:
            session.add(_message(threads[sender], "agent", "out", at(replied)))
    for sender, kind, status, score, asked, comment in RATINGS:
        channel, language = THREADS[sender]
        session.add(
            Feedback(
                conversation_id=threads[sender],
                kind=kind,
                trigger="goodbye",
                status=status,
                score=score,
                comment=comment,
                channel=channel,
                language=language,
                asked_at=at(asked),
                answered_at=at(asked) + dt.timedelta(minutes=1) if status == "rated" else None,
            )
        )
    session.flush()
    return threads


def _message(conversation_id: int, author: str, direction: str, when: dt.datetime) -> Message:
    return Message(
        conversation_id=conversation_id,
        direction=direction,
        author=author,
        text=f"{author} at {when:%H:%M}",
        status="sent" if direction == "out" else "answered",
        created_at=when,
    )


EVENTS_TABLE = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
"""Rasa 3.6's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent)."""


def write_tracker_store(url: str) -> None:
    """Rasa's events table with the fortnight's customer messages and some other events."""
    engine = create_engine(url)
    EVENTS_TABLE.create(engine)
    rows = [
        {
            "sender_id": s,
            "type_name": "user",
            "timestamp": at(w).timestamp(),
            "intent_name": i,
            "data": json.dumps(_user_event_data(i)),
        }
        for s, w, i in USER_EVENTS + OUTSIDE_EVENTS
    ]
    rows += [
        {
            "sender_id": T1,
            "type_name": kind,
            "timestamp": at(w).timestamp(),
            "intent_name": None,
            "data": None,
        }
        for kind, w in (("bot", "2026-11-02 10:00"), ("action", "2026-11-02 10:00"))
    ]
    with engine.begin() as connection:
        connection.execute(EVENTS_TABLE.insert(), rows)
    engine.dispose()


def _user_event_data(intent: str) -> dict[str, Any]:
    # As Rasa stores it; the FAQ answers name their topic, the Club ones here do not.
    selector = {"faq": {"response": {"intent_response_key": "faq/shipping_costs"}}}
    return {
        "event": "user",
        "parse_data": {
            "intent": {"name": intent, "confidence": 0.9},
            "response_selector": selector if intent == "faq" else {},
        },
    }


def sqlite_tracker_store(folder: Path) -> str:
    """A SQLite tracker store file with the fortnight's events; returns its URL."""
    url = f"sqlite:///{folder / 'rasa-tracker.sqlite'}"
    write_tracker_store(url)
    return url
