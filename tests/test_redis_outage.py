"""With REDIS_URL set but Redis unreachable, the gateway keeps serving and loses nothing.

Messages are stored and get an apology, kept as unanswered with the reason (the
processes cannot agree who answers them); this process's widget tabs still get
what is sent to them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from websockets.client import connect

from bot.app import create_app
from bot.db.orm import Message
from bot.launcher import free_port
from bot.settings import GatewaySettings
from tests.fakes.rasa import FakeRasa, serve
from tests.gateway_client import gateway, make_settings

GERMAN_APOLOGY = "Entschuldige, ich habe gerade ein technisches Problem."


@pytest.fixture
def settings(engine: Engine, database_url: str, rasa_url: str) -> GatewaySettings:
    return make_settings(
        database_url,
        rasa_url,
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        widget_session_secret="widget-secret",
        console_secret_key="console-secret",
    )


def inbound(sessions: sessionmaker[Session]) -> list[Message]:
    with sessions() as session:
        return list(session.scalars(select(Message).where(Message.direction == "in")))


async def test_a_rest_message_is_stored_and_kept_unanswered_with_the_reason(
    settings: GatewaySettings,
    fake_rasa: FakeRasa,
    sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with gateway(settings) as http:
        response = await http.post(
            "/webhooks/rest/webhook", json={"sender": "anna", "message": "Hallo"}
        )

    assert response.status_code == 200
    assert response.json()[0]["text"].startswith(GERMAN_APOLOGY)
    assert fake_rasa.requests == []
    [message] = inbound(sessions)
    assert (message.text, message.status) == ("Hallo", "unanswered")
    assert message.failure_reason is not None
    assert message.failure_reason.startswith("conversation lock unavailable: Redis at redis://")
    assert "is unreachable" in caplog.text


@pytest.fixture
def gateway_url(settings: GatewaySettings) -> Iterator[str]:
    with serve(create_app(settings)) as url:
        yield url


async def test_a_widget_message_gets_its_apology_on_this_process(
    gateway_url: str, fake_rasa: FakeRasa, sessions: sessionmaker[Session]
) -> None:
    async with connect(gateway_url.replace("http", "ws") + "/widget/ws") as socket:
        await socket.send(json.dumps({"type": "hello", "session": None, "language": "de"}))
        await socket.send(json.dumps({"type": "message", "id": "m1", "text": "Hallo"}))
        frames: list[dict[str, Any]] = []
        while not any(f["type"] == "reply" for f in frames):
            frames.append(json.loads(await asyncio.wait_for(socket.recv(), 10)))

    assert {"type": "ack", "id": "m1"} in frames
    assert frames[-1]["text"].startswith(GERMAN_APOLOGY)
    assert fake_rasa.requests == []
    [message] = inbound(sessions)
    assert message.status == "unanswered"
    assert message.failure_reason is not None and "lock unavailable" in message.failure_reason


async def test_health_says_redis_is_unreachable(settings: GatewaySettings) -> None:
    async with gateway(settings) as http:
        response = await http.get("/health")

    assert response.status_code == 503
    coordination = response.json()["coordination"]
    assert not coordination["ready"]
    assert coordination["detail"].startswith("Redis at redis://127.0.0.1:")
