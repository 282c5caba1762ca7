"""The agent console: login, CSRF, the queue, claiming, replying on the customer's channel."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from websockets.client import connect
from websockets.exceptions import ConnectionClosed

from bot import handoff
from bot.app import create_app
from bot.console import accounts
from bot.db import conversations as queries
from bot.db.orm import Conversation, Handoff, Message
from tests.fakes.rasa import FakeRasa, serve
from tests.fakes.telegram import FakeTelegram, text_update
from tests.gateway_client import TELEGRAM_SECRET, gateway, make_settings, telegram_settings

PASSWORD = "correct-horse-battery"
CUSTOMER = 700000001
SENDER = f"telegram:{CUSTOMER}"


@pytest.fixture
def agents(demo_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with demo_sessions.begin() as session:
        for name in ("mia", "tom"):
            accounts.create_agent(
                session, username=name, password=PASSWORD, display_name=name.title()
            )
    return demo_sessions


@pytest.fixture
async def console(
    agents: sessionmaker[Session], database_url: str, rasa_url: str, telegram_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway(telegram_settings(database_url, rasa_url, telegram_url)) as client:
        yield client


def queue_customer(sessions: sessionmaker[Session]) -> int:
    """What action_request_human does when the customer asks for a person."""
    with sessions.begin() as session:
        conversation = queries.get_or_create_conversation(
            session, channel="telegram", sender_id=SENDER, language="de"
        )
        summary = {
            "last_messages": [{"text": "Ich will einen Menschen", "intent": "request_human"}]
        }
        return handoff.request(
            session, conversation=conversation, reason="asked_for_person", summary=summary
        ).id


async def csrf_of(http: httpx.AsyncClient, path: str) -> str:
    page = await http.get(path)
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


async def log_in(
    http: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    token = await csrf_of(http, "/console/login")
    return await http.post(
        "/console/login", data={"username": username, "password": password, "csrf": token}
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/console", 303),
        ("GET", "/console/conversations/1", 303),
        ("GET", "/console/api/queue", 401),
        ("POST", "/console/handoffs/1/claim", 401),
        ("POST", "/console/handoffs/1/reply", 401),
        ("POST", "/console/handoffs/1/close", 401),
    ],
)
async def test_every_console_route_needs_a_login(
    console: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await console.request(method, path, data={"text": "x", "csrf": "x"})
    assert response.status_code == status
    if status == 303:
        assert response.headers["location"] == "/console/login"


async def test_the_queue_socket_needs_a_login(
    agents: sessionmaker[Session], database_url: str, rasa_url: str
) -> None:
    with serve(create_app(make_settings(database_url, rasa_url))) as url:
        async with connect(url.replace("http", "ws") + "/console/ws") as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.code == 4401


async def test_wrong_passwords_lock_the_account_and_forms_need_the_csrf_token(
    console: httpx.AsyncClient,
) -> None:
    for _ in range(4):
        wrong = await log_in(console, "mia", "not-the-password")
        assert wrong.headers["location"] == "/console/login?error=wrong"
    assert (
        (await log_in(console, "mia", "not-the-password"))
        .headers["location"]
        .endswith("error=locked")
    )
    assert (await log_in(console, "mia")).headers["location"].endswith("error=locked")

    forged = await console.post("/console/login", data={"username": "tom", "password": PASSWORD})
    assert forged.status_code == 403
    assert (await log_in(console, "tom")).headers["location"] == "/console"


async def test_customer_messages_during_a_handoff_never_reach_the_assistant(
    console: httpx.AsyncClient, agents: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    queue_customer(agents)
    response = await console.post(
        "/webhooks/telegram/webhook",
        json=text_update(1, CUSTOMER, "Hallo? Ist da wer?"),
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    assert response.status_code == 200
    await asyncio.sleep(0.3)
    assert fake_rasa.requests == []
    with agents() as session:
        [message] = session.scalars(select(Message)).all()
        assert (message.text, message.status) == ("Hallo? Ist da wer?", "for_agent")


async def test_claim_reply_and_close_reach_the_customer_on_telegram(
    console: httpx.AsyncClient,
    agents: sessionmaker[Session],
    fake_rasa: FakeRasa,
    fake_telegram: FakeTelegram,
) -> None:
    handoff_id = queue_customer(agents)
    await log_in(console, "mia")
    [entry] = (await console.get("/console/api/queue")).json()
    assert (entry["id"], entry["status"], entry["customer"]) == (handoff_id, "waiting", None)
    assert entry["reason"] == "wollte eine Person"

    page = f"/console/conversations/{handoff_id}"
    claimed = await console.post(
        f"/console/handoffs/{handoff_id}/claim", data={"csrf": await csrf_of(console, page)}
    )
    assert claimed.headers["location"] == page
    token = await csrf_of(console, page)
    await console.post(
        f"/console/handoffs/{handoff_id}/reply",
        data={"text": "Hallo, hier ist Mia!", "csrf": token},
    )
    assert fake_telegram.sent(CUSTOMER)[0]["text"] == "Hallo, hier ist Mia!"
    assert "Hallo, hier ist Mia!" in (await console.get(page)).text

    await console.post(f"/console/handoffs/{handoff_id}/close", data={"csrf": token})
    assert fake_rasa.requests[-1]["message"] == "/handoff_closed"
    assert fake_telegram.sent(CUSTOMER)[-1]["text"] == "echo[de]: /handoff_closed"
    with agents() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.mode == "bot"
        authors = [m.author for m in session.scalars(select(Message).order_by(Message.id))]
        assert authors == ["agent", "bot"]


async def test_a_second_agent_is_told_the_conversation_is_taken(
    agents: sessionmaker[Session], database_url: str, rasa_url: str
) -> None:
    handoff_id = queue_customer(agents)
    settings = make_settings(database_url, rasa_url)
    page = f"/console/conversations/{handoff_id}"
    async with gateway(settings) as mia, gateway(settings) as tom:
        await log_in(mia, "mia")
        await log_in(tom, "tom")
        tokens = [await csrf_of(mia, page), await csrf_of(tom, page)]
        first = await mia.post(f"/console/handoffs/{handoff_id}/claim", data={"csrf": tokens[0]})
        second = await tom.post(f"/console/handoffs/{handoff_id}/claim", data={"csrf": tokens[1]})
        reply = await tom.post(
            f"/console/handoffs/{handoff_id}/reply", data={"text": "Ich!", "csrf": tokens[1]}
        )
    assert first.headers["location"] == page
    assert second.headers["location"] == f"{page}?taken=1"
    assert reply.status_code == 409


async def test_notes_transfer_and_long_waits(
    agents: sessionmaker[Session], database_url: str, rasa_url: str
) -> None:
    handoff_id = queue_customer(agents)
    with agents.begin() as session:
        item = session.get_one(Handoff, handoff_id)
        item.requested_at = item.requested_at - dt.timedelta(minutes=30)
    settings = make_settings(database_url, rasa_url)
    page = f"/console/conversations/{handoff_id}"
    async with gateway(settings) as mia, gateway(settings) as tom:
        await log_in(mia, "mia")
        await log_in(tom, "tom")
        [entry] = (await mia.get("/console/api/queue")).json()
        assert entry["escalated"] is True
        token = await csrf_of(mia, page)
        await mia.post(f"/console/handoffs/{handoff_id}/claim", data={"csrf": token})
        await mia.post(
            f"/console/handoffs/{handoff_id}/note", data={"text": "Will Rückruf", "csrf": token}
        )
        conversation = (await mia.get(page)).text
        assert "Will Rückruf" in conversation and "Textbausteine" in conversation
        tom_id = re.search(r'<option value="(\d+)">Tom</option>', conversation)
        assert tom_id is not None
        moved = await mia.post(
            f"/console/handoffs/{handoff_id}/transfer",
            data={"to_agent": tom_id.group(1), "csrf": token},
        )
        assert moved.status_code == 303
        mine = await mia.post(
            f"/console/handoffs/{handoff_id}/reply", data={"text": "x", "csrf": token}
        )
        assert mine.status_code == 409
        [entry] = (await tom.get("/console/api/queue")).json()
        assert (entry["agent"], entry["escalated"]) == ("Tom", False)
