"""What the message log records about a delivery: only the replies it was about."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.db import conversations as queries
from bot.db.orm import Message
from bot.language import LanguageDetector
from bot.message_log import Answer, MessageLog
from bot.messages import Inbound, Outbound

DETECTOR = LanguageDetector({"de": ["Wann habt ihr offen"], "en": ["When are you open"]})


def stored_replies(
    sessions: sessionmaker[Session], message_id: int
) -> list[tuple[str, str, str | None]]:
    with sessions() as session:
        return [
            (r.text or "", r.status, r.provider_message_id)
            for r in queries.replies_to(session, message_id=message_id)
        ]


def test_a_late_delivery_leaves_the_earlier_apology_as_it_was(
    sessions: sessionmaker[Session],
) -> None:
    log = MessageLog(sessions, detector=DETECTOR, default_language="de")
    stored = log.store_inbound(
        Inbound(channel="telegram", sender_id="telegram:1", text="Wann habt ihr offen?")
    )
    apology = Answer(
        [Outbound("telegram:1", text="Moment bitte")], author="bot", status="unanswered"
    )
    log.store_answer(stored.message_id, apology, reply_status="sending")
    log.record_provider_ids(stored.message_id, ["11"])

    late = Answer(
        [Outbound("telegram:1", text="Danke fürs Warten"), Outbound("telegram:1", text="Mo–Sa")],
        author="bot",
        status="answered",
    )
    log.store_answer(stored.message_id, late, reply_status="sending")
    log.mark_replies_failed(stored.message_id, "Forbidden: bot was blocked by the user")
    log.store_answer(stored.message_id, late, reply_status="sending")
    log.record_provider_ids(stored.message_id, ["12", "13"])

    assert stored_replies(sessions, stored.message_id) == [
        ("Moment bitte", "sent", "11"),
        ("Danke fürs Warten", "failed", None),
        ("Mo–Sa", "failed", None),
        ("Danke fürs Warten", "sent", "12"),
        ("Mo–Sa", "sent", "13"),
    ]
    with sessions() as session:
        assert session.get_one(Message, stored.message_id).status == "answered"
