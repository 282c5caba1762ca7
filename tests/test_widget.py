"""The website widget's WebSocket protocol, against the gateway on a real port."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import JSONResponse, Response
from websockets.client import connect

from bot.app import create_app
from bot.db.orm import Message
from tests.fakes.rasa import FakeRasa, serve
from tests.gateway_client import make_settings


@pytest.fixture
def gateway_url(
    demo_sessions: sessionmaker[Session], database_url: str, rasa_url: str
) -> Iterator[str]:
    with serve(create_app(make_settings(database_url, rasa_url))) as url:
        yield url


class Tab:
    """One browser tab's socket, speaking the widget protocol."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket

    async def hello(self, session: str | None = None, language: str = "de-DE") -> dict[str, Any]:
        await self.socket.send(
            json.dumps({"type": "hello", "session": session, "language": language})
        )
        return await self.next("welcome")

    async def say(self, message_id: str, text: str, title: str | None = None) -> None:
        await self.socket.send(
            json.dumps({"type": "message", "id": message_id, "text": text, "title": title})
        )

    async def next(self, kind: str) -> dict[str, Any]:
        while True:
            event: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), 10))
            if event["type"] == kind:
                return event


def ws(url: str) -> Any:
    return connect(url.replace("http", "ws") + "/widget/ws")


async def test_the_server_issues_the_session_and_answers(
    gateway_url: str, fake_rasa: FakeRasa
) -> None:
    async with ws(gateway_url) as socket:
        tab = Tab(socket)
        welcome = await tab.hello(session="chosen-by-client")
        assert welcome["session"] != "chosen-by-client" and len(welcome["session"]) >= 32
        assert welcome["history"] == []
        await tab.say("m1", "Hallo")
        assert await tab.next("ack") == {"type": "ack", "id": "m1"}
        reply = await tab.next("reply")
    assert reply["text"] == "echo[de]: Hallo"
    assert fake_rasa.requests[0]["sender"] == f"widget:{welcome['session']}"


async def test_a_reload_restores_the_history_and_a_resent_message_counts_once(
    gateway_url: str, fake_rasa: FakeRasa, demo_sessions: sessionmaker[Session]
) -> None:
    async def with_button(body: dict[str, Any]) -> Response:
        buttons = [{"title": "Versand", "payload": "/versand"}]
        return JSONResponse([{"recipient_id": body["sender"], "text": "Wähle", "buttons": buttons}])

    fake_rasa.handler = with_button
    async with ws(gateway_url) as socket:
        tab = Tab(socket)
        session = (await tab.hello(language="en-GB"))["session"]
        await tab.say("m1", "/versand", title="Versand")
        await tab.next("reply")

    async with ws(gateway_url) as socket:
        tab = Tab(socket)
        welcome = await tab.hello(session=session)
        await tab.say("m1", "/versand", title="Versand")  # re-sent after a lost ack
        assert await tab.next("ack") == {"type": "ack", "id": "m1"}

    assert welcome["session"] == session
    assert welcome["history"] == [
        {"from": "customer", "id": "m1", "text": "Versand"},
        {
            "from": "bot",
            "id": None,
            "type": "reply",
            "text": "Wähle",
            "buttons": [{"title": "Versand", "payload": "/versand"}],
            "image": None,
        },
    ]
    await asyncio.sleep(0.2)
    assert len(fake_rasa.requests) == 1
    with demo_sessions() as db:
        assert db.scalar(select(func.count()).select_from(Message)) == 2


async def test_every_tab_of_a_session_gets_the_reply(gateway_url: str) -> None:
    async with ws(gateway_url) as first, ws(gateway_url) as second:
        one, two = Tab(first), Tab(second)
        session = (await one.hello())["session"]
        await two.hello(session=session)
        await one.say("m1", "Hallo")
        replies = await asyncio.gather(one.next("reply"), two.next("reply"))
    assert [r["text"] for r in replies] == ["echo[de]: Hallo"] * 2


async def test_malformed_frames_get_an_error_and_nothing_is_stored(
    gateway_url: str, fake_rasa: FakeRasa, demo_sessions: sessionmaker[Session]
) -> None:
    async with ws(gateway_url) as socket:
        tab = Tab(socket)
        await tab.hello()
        await socket.send(json.dumps({"type": "message", "id": "", "text": "x"}))
        error = await tab.next("error")
    assert error["error"].startswith("malformed message")
    assert fake_rasa.requests == []
    with demo_sessions() as db:
        assert db.scalar(select(func.count()).select_from(Message)) == 0
