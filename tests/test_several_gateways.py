"""Two gateway processes on one PostgreSQL and one Redis, against the fake Rasa.

Each gateway is a separate app with its own Redis clients and, where served on a
port, its own thread and event loop: they share nothing in memory, as two
processes would not.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import JSONResponse, Response
from websockets.client import connect

from bot import handoff
from bot.app import create_app
from bot.console import accounts
from bot.db import conversations as queries
from bot.db.orm import Conversation, Message
from bot.settings import GatewaySettings
from tests.conftest import RedisTarget, postgres_schema
from tests.fakes.rasa import FakeRasa, serve
from tests.gateway_client import gateway, make_settings

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PASSWORD = "correct-horse-battery"


@pytest.fixture
def database_url() -> Iterator[str]:
    """The gateways share one PostgreSQL schema, as in production."""
    with postgres_schema() as url:
        yield url


@pytest.fixture
def settings(
    engine: Engine, database_url: str, rasa_url: str, redis_target: RedisTarget
) -> GatewaySettings:
    return make_settings(
        database_url,
        rasa_url,
        redis_url=redis_target.url,
        redis_key_prefix=redis_target.prefix,
        widget_session_secret="shared-widget-secret-for-every-gateway",
        console_secret_key="shared-console-key-for-every-gateway",
    )


@pytest.fixture
def served(settings: GatewaySettings) -> Iterator[tuple[str, str]]:
    """Two gateways on ports of their own, each in its own thread and event loop."""
    with serve(create_app(settings)) as first, serve(create_app(settings)) as second:
        yield first, second


def slow_echo(fake_rasa: FakeRasa, overlaps: list[str]) -> Any:
    """Rasa taking 0.1 s per message; notes when two conversations were in flight at once."""

    async def handler(body: dict[str, Any]) -> Response:
        if sum(1 for count in fake_rasa.in_flight.values() if count) > 1:
            overlaps.append(body["sender"])
        await asyncio.sleep(0.1)
        return JSONResponse([{"recipient_id": body["sender"], "text": f"echo: {body['message']}"}])

    return handler


class Socket:
    """A WebSocket whose frames are collected in the background, so none is skipped."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.frames: list[Any] = []
        self._reader = asyncio.create_task(self._read())

    async def aclose(self) -> None:
        self._reader.cancel()
        await self.socket.close()

    async def _read(self) -> None:
        async for raw in self.socket:
            self.frames.append(json.loads(raw))

    async def send(self, frame: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(frame))

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if isinstance(f, dict) and f.get("type") == kind]

    async def until(self, condition: Callable[[], bool], seconds: float = 10.0) -> None:
        async def poll() -> None:
            while not condition():
                await asyncio.sleep(0.01)

        await asyncio.wait_for(poll(), seconds)


@pytest.fixture
async def sockets() -> AsyncIterator[Callable[..., Any]]:
    """Opens collecting sockets; they are closed after the test."""
    opened: list[Socket] = []

    async def open_socket(url: str, **options: Any) -> Socket:
        socket = Socket(await connect(url.replace("http", "ws"), **options))
        opened.append(socket)
        return socket

    yield open_socket
    for socket in opened:
        await socket.aclose()


async def test_one_sender_on_both_gateways_is_answered_one_at_a_time_in_order(
    settings: GatewaySettings, fake_rasa: FakeRasa, sessions: sessionmaker[Session]
) -> None:
    overlaps: list[str] = []
    fake_rasa.handler = slow_echo(fake_rasa, overlaps)
    # Each sender's messages go alternately to the one and the other gateway, all at once.
    posts = [
        (index % 2, {"sender": sender, "message": f"{sender} {index}"})
        for index in range(6)
        for sender in ("anna", "ben")
    ]
    async with gateway(settings) as first, gateway(settings) as second:
        responses = await asyncio.gather(
            *((first, second)[to].post("/webhooks/rest/webhook", json=body) for to, body in posts)
        )

    for response, (_, body) in zip(responses, posts, strict=True):
        assert response.json()[0]["text"] == f"echo: {body['message']}"
    assert fake_rasa.max_in_flight == {"rest:anna": 1, "rest:ben": 1}
    assert overlaps, "different conversations should be answered in parallel"
    with sessions() as session:
        for sender in ("rest:anna", "rest:ben"):
            forwarded = [r["message"] for r in fake_rasa.requests if r["sender"] == sender]
            stored_order = session.scalars(
                select(Message.text)
                .join(Conversation)
                .where(Conversation.sender_id == sender, Message.direction == "in")
                .order_by(Message.id)
            ).all()
            assert forwarded == list(stored_order)
            assert sorted(forwarded) == sorted(f"{sender[5:]} {i}" for i in range(6))


async def test_a_widget_session_open_on_both_gateways_gets_every_reply_in_order(
    served: tuple[str, str], fake_rasa: FakeRasa, sockets: Callable[..., Any]
) -> None:
    fake_rasa.handler = slow_echo(fake_rasa, [])
    tab_on_first = await sockets(served[0] + "/widget/ws")
    tab_on_second = await sockets(served[1] + "/widget/ws")
    await tab_on_first.send({"type": "hello", "session": None, "language": "de-DE"})
    await tab_on_first.until(lambda: bool(tab_on_first.of_type("welcome")))
    session = tab_on_first.of_type("welcome")[0]["session"]
    await tab_on_second.send({"type": "hello", "session": session, "language": "de-DE"})
    await tab_on_second.until(lambda: bool(tab_on_second.of_type("welcome")))
    assert tab_on_second.of_type("welcome")[0]["session"] == session

    # Sent alternately through both gateways, each stored (acknowledged) before the next;
    # the fake Rasa is slow, so later messages arrive while earlier ones are being answered.
    for index in range(6):
        tab = (tab_on_first, tab_on_second)[index % 2]
        await tab.send({"type": "message", "id": f"m{index}", "text": f"Nachricht {index}"})
        ack = {"type": "ack", "id": f"m{index}"}
        await tab.until(lambda tab=tab, ack=ack: ack in tab.frames)
    for tab in (tab_on_first, tab_on_second):
        await tab.until(lambda tab=tab: len(tab.of_type("reply")) == 6)

    expected = [f"Nachricht {index}" for index in range(6)]
    assert [r["message"] for r in fake_rasa.requests] == expected
    assert fake_rasa.max_in_flight == {f"widget:{session}": 1}
    for tab in (tab_on_first, tab_on_second):
        assert [r["text"] for r in tab.of_type("reply")] == [f"echo: {t}" for t in expected]


async def test_a_handoff_requested_on_one_gateway_reaches_a_console_on_the_other_at_once(
    settings: GatewaySettings,
    fake_rasa: FakeRasa,
    sessions: sessionmaker[Session],
    sockets: Callable[..., Any],
) -> None:
    with sessions.begin() as session:
        accounts.create_agent(session, username="mia", password=PASSWORD, display_name="Mia")

    async def request_human(body: dict[str, Any]) -> Response:
        # What action_request_human does in the action server, a third process.
        with sessions.begin() as session:
            conversation = queries.find_conversation(session, sender_id=body["sender"])
            assert conversation is not None
            handoff.request(
                session, conversation=conversation, reason="asked_for_person", summary={}
            )
        return JSONResponse([{"recipient_id": body["sender"], "text": "Ich hole jemanden."}])

    fake_rasa.handler = request_human
    with serve(create_app(settings)) as console_gateway:
        async with httpx.AsyncClient(base_url=console_gateway) as browser:
            page = await browser.get("/console/login")
            csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
            await browser.post(
                "/console/login", data={"username": "mia", "password": PASSWORD, "csrf": csrf}
            )
            cookie = f"nordlicht_console={browser.cookies['nordlicht_console']}"
        queue = await sockets(console_gateway + "/console/ws", extra_headers={"Cookie": cookie})
        await queue.until(lambda: queue.frames == [[]])
        # Past the first database check: from now on only an event makes it look again soon.
        await asyncio.sleep(1.5)
        async with gateway(settings) as customer_gateway:
            await customer_gateway.post(
                "/webhooks/rest/webhook", json={"sender": "carla", "message": "Einen Menschen!"}
            )
            answered = time.monotonic()
            await queue.until(lambda: len(queue.frames) == 2, seconds=5)
            arrived = time.monotonic()
        await queue.aclose()

    [entry] = queue.frames[-1]
    assert (entry["status"], entry["reason"]) == ("waiting", "wollte eine Person")
    assert arrived - answered < 1.0
