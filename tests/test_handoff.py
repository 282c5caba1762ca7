"""Handoff rules: the queue, atomic claims, service hours and the wait estimate."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import handoff
from bot.console import accounts
from bot.coordination.local import LocalOrder
from bot.db import conversations as queries
from bot.db.orm import Agent, Conversation, Handoff
from bot.messages import Outbound
from bot.outbox import Outbox
from bot.reminders import WaitingReminder
from bot.responses import DomainResponses

BERLIN = "Europe/Berlin"
PROJECT = Path(__file__).resolve().parent.parent
MONDAY_10 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)  # 10:00 in Berlin
SATURDAY_17 = dt.datetime(2026, 11, 28, 16, 0, tzinfo=dt.timezone.utc)  # 17:00 in Berlin
NEXT_MONDAY_8 = dt.datetime(2026, 11, 30, 8, 0)


def _conversation(session: Session, sender_id: str = "telegram:1") -> Conversation:
    return queries.get_or_create_conversation(
        session, channel="telegram", sender_id=sender_id, language="de"
    )


def test_asking_queues_the_conversation_once(demo_sessions: sessionmaker[Session]) -> None:
    with demo_sessions.begin() as session:
        conversation = _conversation(session)
        first = handoff.request(
            session, conversation=conversation, reason="asked_for_person", summary={}
        )
        again = handoff.request(
            session, conversation=conversation, reason="not_understood", summary={}
        )
        assert first.id == again.id and conversation.mode == "queued"
    with demo_sessions.begin() as session:
        item = session.scalars(select(Handoff)).one()
        agent = accounts.create_agent(
            session, username="mia", password="long-enough-pw", display_name="Mia"
        )
        assert handoff.claim(session, handoff_id=item.id, agent=agent)
        assert item.conversation.mode == "agent"
        handoff.close(session, handoff=item)
        assert (item.status, item.conversation.mode) == ("closed", "bot")


def test_two_agents_claiming_at_once_one_wins(demo_sessions: sessionmaker[Session]) -> None:
    with demo_sessions.begin() as session:
        item = handoff.request(
            session, conversation=_conversation(session), reason="asked_for_person", summary={}
        )
        for name in ("mia", "tom"):
            accounts.create_agent(
                session, username=name, password="long-enough-pw", display_name=name
            )
        handoff_id = item.id
    start = threading.Barrier(2)

    def claim(name: str) -> bool:
        with demo_sessions.begin() as session:
            agent = session.scalars(select(Agent).where(Agent.username == name)).one()
            start.wait()
            return handoff.claim(session, handoff_id=handoff_id, agent=agent)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(claim, ["mia", "tom"]))
    assert sorted(results) == [False, True]


@pytest.mark.parametrize(
    ("moment", "open_now", "next_opening"),
    [
        (MONDAY_10, True, None),
        (SATURDAY_17, False, NEXT_MONDAY_8),
        (
            dt.datetime(2026, 11, 24, 5, 0, tzinfo=dt.timezone.utc),
            False,
            dt.datetime(2026, 11, 24, 8, 0),
        ),
    ],
)
def test_service_hours_decide_what_the_customer_hears(
    demo_sessions: sessionmaker[Session],
    moment: dt.datetime,
    open_now: bool,
    next_opening: dt.datetime | None,
) -> None:
    with demo_sessions() as session:
        available = handoff.availability(session, now=moment, time_zone=BERLIN)
    assert available.open_now is open_now
    opening = available.next_opening.replace(tzinfo=None) if available.next_opening else None
    assert opening == next_opening


def test_the_wait_estimate_grows_with_the_queue_and_shrinks_with_agents(
    demo_sessions: sessionmaker[Session],
) -> None:
    with demo_sessions.begin() as session:
        for number in range(4):
            handoff.request(
                session,
                conversation=_conversation(session, f"telegram:{number}"),
                reason="asked_for_person",
                summary={},
            )
        alone = handoff.availability(session, now=MONDAY_10, time_zone=BERLIN).wait_minutes
        for name in ("mia", "tom"):
            agent = accounts.create_agent(
                session, username=name, password="long-enough-pw", display_name=name
            )
            agent.last_seen_at = MONDAY_10
        session.flush()
        helped = handoff.availability(session, now=MONDAY_10, time_zone=BERLIN).wait_minutes
    assert (alone, helped) == (16, 8)


def test_only_the_agent_handling_a_conversation_can_pass_it_on(
    demo_sessions: sessionmaker[Session],
) -> None:
    with demo_sessions.begin() as session:
        item = handoff.request(
            session, conversation=_conversation(session), reason="asked_for_person", summary={}
        )
        mia, tom = (
            accounts.create_agent(session, username=n, password="long-enough-pw", display_name=n)
            for n in ("mia", "tom")
        )
        assert not handoff.transfer(session, handoff=item, from_agent=mia, to_agent=tom)
        handoff.claim(session, handoff_id=item.id, agent=mia)
        assert not handoff.transfer(session, handoff=item, from_agent=tom, to_agent=mia)
        assert handoff.transfer(session, handoff=item, from_agent=mia, to_agent=tom)
        assert item.agent_id == tom.id
        note = handoff.add_note(session, handoff=item, agent=mia, text="Kundin wartet auf Rückruf")
        assert [n.text for n in item.notes] == [note.text]


async def test_a_long_wait_is_acknowledged_once(demo_sessions: sessionmaker[Session]) -> None:
    with demo_sessions.begin() as session:
        item = handoff.request(
            session,
            conversation=_conversation(session),
            reason="asked_for_person",
            summary={},
            now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=11),
        )
        handoff.request(
            session,
            conversation=_conversation(session, "telegram:2"),
            reason="asked_for_person",
            summary={},
        )
    sent: list[tuple[str, str]] = []

    async def telegram(sender: str, replies: list[Outbound], language: str) -> list[str | None]:
        sent.extend((sender, r.text or "") for r in replies)
        return ["1"] * len(replies)

    outbox = Outbox(demo_sessions, rasa=None, order=LocalOrder())  # type: ignore[arg-type]
    outbox.register("telegram", telegram)
    replies = DomainResponses.from_domain(PROJECT / "domain")
    reminder = WaitingReminder(
        sessions=demo_sessions, outbox=outbox, replies=replies, after=dt.timedelta(minutes=10)
    )
    assert await reminder.remind_due() == 1
    assert await reminder.remind_due() == 0
    assert sent == [("telegram:1", replies.text("utter_handoff_still_waiting", language="de"))]
    with demo_sessions() as session:
        assert session.get_one(Handoff, item.id).reminded_at is not None


class _RecordingRasa:
    """Answers the welcome back and notes when it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def send(
        self, *, sender_id: str, text: str, input_channel: str, metadata: dict[str, Any]
    ) -> list[Outbound]:
        self.asked.append(text)
        return [Outbound(sender_id, text="Da bin ich wieder!")]


async def test_the_welcome_back_waits_for_the_message_being_answered(
    demo_sessions: sessionmaker[Session],
) -> None:
    with demo_sessions.begin() as session:
        _conversation(session)
    order, rasa = LocalOrder(), _RecordingRasa()
    outbox = Outbox(demo_sessions, rasa=rasa, order=order)  # type: ignore[arg-type]
    sent: list[str] = []

    async def telegram(sender: str, replies: list[Outbound], language: str) -> list[str | None]:
        sent.extend(r.text or "" for r in replies)
        return ["1"] * len(replies)

    outbox.register("telegram", telegram)
    async with order.exclusive("telegram:1"):
        resuming = asyncio.create_task(outbox.resume_assistant("telegram:1"))
        await asyncio.sleep(0.1)
        assert rasa.asked == [] and not resuming.done()
    await resuming
    assert len(rasa.asked) == 1 and sent == ["Da bin ich wieder!"]
