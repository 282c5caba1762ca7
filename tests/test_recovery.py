"""Late answers: messages the assistant could not answer are answered once it is back.

The gateway runs in-process with the real Telegram client against the fake Bot
API and a fake Rasa that can be switched off; the recovery round is started by
the test instead of a timer, so nothing depends on timing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import JSONResponse, Response

from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from bot.clock import now
from bot.db import conversations as queries
from bot.db import retries
from bot.db.orm import Conversation, Message
from bot.recovery import Recovery
from bot.responses import DomainResponses
from tests.fakes.rasa import FakeRasa
from tests.fakes.telegram import FakeTelegram, text_update
from tests.gateway_client import TELEGRAM_SECRET, gateway_app, telegram_settings

CHAT = 700000042
SENDER = f"telegram:{CHAT}"
REPLIES = DomainResponses.from_domain(Path("domain"))
POLICY = retries.RetryPolicy(
    stale_after=dt.timedelta(seconds=90), max_age=dt.timedelta(hours=1), max_attempts=3
)


async def rasa_down(_: dict[str, Any]) -> Response:
    return JSONResponse({"error": "overloaded"}, status_code=503)


@pytest.fixture
async def telegram_gateway(
    demo_sessions: sessionmaker[Session], database_url: str, rasa_url: str, telegram_url: str
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    # The test starts each round itself.
    settings = telegram_settings(
        database_url, rasa_url, telegram_url, recovery_interval_seconds=3600
    )
    async with gateway_app(settings) as running:
        yield running


async def say(http: httpx.AsyncClient, update_id: int, text: str) -> None:
    response = await http.post(
        WEBHOOK_PATH,
        json=text_update(update_id, CHAT, text),
        headers={SECRET_HEADER: TELEGRAM_SECRET},
    )
    assert response.status_code == 200


def inbound(sessions: sessionmaker[Session]) -> list[tuple[str, str, int]]:
    with sessions() as session:
        rows = session.scalars(
            select(Message).where(Message.direction == "in").order_by(Message.id)
        )
        return [(m.text, m.status, m.attempts) for m in rows]


@dataclass
class Outage:
    """A gateway whose Rasa is down until the test brings it back."""

    recovery: Recovery
    http: httpx.AsyncClient
    rasa: FakeRasa
    telegram: FakeTelegram

    async def customer_writes(self, *texts: str) -> None:
        """Each message gets its apology while Rasa is down."""
        self.rasa.handler = rasa_down
        for update_id, text in enumerate(texts, start=1):
            await say(self.http, update_id, text)
        await self.telegram.wait_for_messages(CHAT, len(texts))

    def sent(self) -> list[str]:
        return [m["text"] for m in self.telegram.sent(CHAT)]


@pytest.fixture
def outage(
    telegram_gateway: tuple[FastAPI, httpx.AsyncClient],
    fake_rasa: FakeRasa,
    fake_telegram: FakeTelegram,
) -> Outage:
    app, http = telegram_gateway
    return Outage(app.state.recovery, http, fake_rasa, fake_telegram)


async def test_a_message_rasa_could_not_answer_is_answered_once_when_it_is_back(
    outage: Outage, demo_sessions: sessionmaker[Session]
) -> None:
    await outage.customer_writes("Wann habt ihr offen?")
    assert outage.sent() == [REPLIES.text("utter_service_delayed", language="de")]
    assert inbound(demo_sessions) == [("Wann habt ihr offen?", "unanswered", 0)]

    outage.rasa.handler = None
    assert await outage.recovery.answer_due() == 1
    assert await outage.recovery.answer_due() == 0
    await outage.telegram.wait_for_messages(CHAT, 3)
    await asyncio.sleep(0.2)
    assert outage.sent()[1:] == [
        REPLIES.text("utter_late_answer", language="de", message="Wann habt ihr offen?"),
        "echo[de]: Wann habt ihr offen?",
    ]
    assert inbound(demo_sessions) == [("Wann habt ihr offen?", "answered", 1)]
    assert len(outage.rasa.requests) == 2
    with demo_sessions() as session:
        replies = session.scalars(select(Message).where(Message.direction == "out"))
        assert [(m.status, m.provider_message_id) for m in replies] == [
            ("sent", "1"),
            ("sent", "2"),
            ("sent", "3"),
        ]


async def test_nothing_is_retried_while_the_assistant_is_not_ready(
    outage: Outage, demo_sessions: sessionmaker[Session]
) -> None:
    await outage.customer_writes("Hallo")
    outage.rasa.model_loaded = False
    assert await outage.recovery.answer_due() == 0
    assert len(outage.rasa.requests) == 1
    assert inbound(demo_sessions) == [("Hallo", "unanswered", 0)]


async def test_a_message_that_fails_again_waits_for_the_next_round_without_a_second_apology(
    outage: Outage, demo_sessions: sessionmaker[Session]
) -> None:
    await outage.customer_writes("erste Frage", "zweite Frage")
    assert await outage.recovery.answer_due() == 0
    await asyncio.sleep(0.2)
    assert len(outage.sent()) == 2
    # The round stops at the first failure: the second message was not tried.
    assert inbound(demo_sessions) == [
        ("erste Frage", "unanswered", 1),
        ("zweite Frage", "unanswered", 0),
    ]

    outage.rasa.handler = None
    assert await outage.recovery.answer_due() == 2
    await outage.telegram.wait_for_messages(CHAT, 6)
    texts = outage.sent()[2:]
    assert texts[1] == "echo[de]: erste Frage" and texts[3] == "echo[de]: zweite Frage"


def add_message(
    session: Session, *, sender: str, channel: str, status: str, age: dt.timedelta
) -> Message:
    conversation = queries.get_or_create_conversation(
        session, channel=channel, sender_id=sender, language="de"
    )
    message = session.get_one(
        Message,
        queries.add_inbound(
            session,
            conversation_id=conversation.id,
            text="Frage",
            provider_message_id=None,
            status=status,
        ),
    )
    message.created_at = now() - age
    session.flush()
    return message


@pytest.mark.parametrize(
    ("status", "age", "due"),
    [
        ("unanswered", dt.timedelta(seconds=1), True),
        ("received", dt.timedelta(seconds=10), False),  # still being answered
        ("received", dt.timedelta(minutes=5), True),  # left behind by a stopped process
        ("answered", dt.timedelta(minutes=5), False),
        ("for_agent", dt.timedelta(minutes=5), False),
        ("unanswered", dt.timedelta(hours=2), False),  # too old to answer late
    ],
)
def test_which_messages_are_due(
    sessions: sessionmaker[Session], status: str, age: dt.timedelta, due: bool
) -> None:
    with sessions.begin() as session:
        message = add_message(
            session, sender="telegram:1", channel="telegram", status=status, age=age
        )
        found = retries.due(session, now=now(), policy=POLICY, channels=["telegram"])
        assert [d.message_id for d in found] == ([message.id] if due else [])


def test_channels_that_cannot_send_and_conversations_with_people_are_left_alone(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        add_message(
            session, sender="rest:1", channel="rest", status="unanswered", age=dt.timedelta(0)
        )
        handed = add_message(
            session,
            sender="telegram:2",
            channel="telegram",
            status="unanswered",
            age=dt.timedelta(0),
        )
        session.execute(
            update(Conversation)
            .where(Conversation.id == handed.conversation_id)
            .values(mode="human")
        )
        assert retries.due(session, now=now(), policy=POLICY, channels=["telegram"]) == []


def test_a_message_is_taken_by_one_process_only_and_given_up_after_the_last_attempt(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        message_id = add_message(
            session,
            sender="telegram:1",
            channel="telegram",
            status="unanswered",
            age=dt.timedelta(0),
        ).id
    for _ in range(POLICY.max_attempts):
        with sessions.begin() as first:
            assert retries.take(first, message_id=message_id, now=now(), policy=POLICY)
        with sessions.begin() as second:
            assert not retries.take(second, message_id=message_id, now=now(), policy=POLICY)
        with sessions.begin() as session:
            session.get_one(Message, message_id).status = "unanswered"
    with sessions.begin() as session:
        assert retries.due(session, now=now(), policy=POLICY, channels=["telegram"]) == []
        assert session.get_one(Message, message_id).attempts == POLICY.max_attempts
