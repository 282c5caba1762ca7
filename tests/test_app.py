"""The gateway over HTTP: REST channel shape, storing before forwarding, apologies, auth, health."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import JSONResponse, Response

from bot import server_timing
from bot.db.orm import Conversation, Message
from bot.launcher import free_port
from tests.fakes.rasa import FakeRasa
from tests.gateway_client import gateway, make_settings

GERMAN_APOLOGY = "Entschuldige, ich habe gerade ein technisches Problem."
ENGLISH_APOLOGY = "Sorry, I'm having a technical problem right now."


def stored(sessions: sessionmaker[Session]) -> list[Message]:
    with sessions() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


async def test_message_is_forwarded_with_channel_and_language(
    http: httpx.AsyncClient, fake_rasa: FakeRasa
) -> None:
    response = await http.post(
        "/webhooks/rest/webhook", json={"sender": "anna", "message": "Hallo"}
    )

    assert response.status_code == 200
    assert response.json() == [{"recipient_id": "anna", "text": "echo[de]: Hallo"}]
    forwarded = fake_rasa.requests[0]
    assert forwarded["sender"] == "rest:anna"
    assert forwarded["input_channel"] == "rest"
    assert forwarded["metadata"]["language"] == "de"


async def test_the_reply_says_where_its_time_went(
    http: httpx.AsyncClient, fake_rasa: FakeRasa
) -> None:
    async def slow(body: dict[str, Any]) -> Response:
        await asyncio.sleep(0.05)
        return JSONResponse([{"recipient_id": body["sender"], "text": "Hi!"}])

    fake_rasa.handler = slow
    response = await http.post("/webhooks/rest/webhook", json={"sender": "ida", "message": "Hi"})

    timing = server_timing.parse(response.headers["server-timing"])
    assert list(timing) == ["turn", "store", "assistant", "save", "total"]
    assert timing["assistant"] >= 50.0
    assert timing["total"] >= sum(timing[part] for part in ("store", "assistant", "save"))


async def test_english_message_is_forwarded_as_english(
    http: httpx.AsyncClient, fake_rasa: FakeRasa
) -> None:
    response = await http.post(
        "/webhooks/rest/webhook",
        json={
            "sender": "john",
            "message": "hello, what are your opening hours?",
            "metadata": {"x": 1},
        },
    )

    assert response.json()[0]["text"].startswith("echo[en]")
    assert fake_rasa.requests[0]["metadata"] == {"x": 1, "language": "en", "customer": None}


async def test_inbound_is_committed_before_rasa_sees_it(
    http: httpx.AsyncClient, fake_rasa: FakeRasa, sessions: sessionmaker[Session]
) -> None:
    seen_in_database: list[str] = []

    async def handler(body: dict[str, Any]) -> Response:
        rows = await asyncio.to_thread(stored, sessions)
        seen_in_database.extend(f"{m.direction}:{m.text}:{m.status}" for m in rows)
        return JSONResponse([{"recipient_id": body["sender"], "text": "Hi!"}])

    fake_rasa.handler = handler
    await http.post("/webhooks/rest/webhook", json={"sender": "lena", "message": "Hallo"})

    assert seen_in_database == ["in:Hallo:received"]
    rows = stored(sessions)
    assert [(m.direction, m.author, m.text, m.status) for m in rows] == [
        ("in", "customer", "Hallo", "answered"),
        ("out", "bot", "Hi!", "sent"),
    ]
    assert rows[1].reply_to_id == rows[0].id


async def test_buttons_and_custom_payloads_pass_through_and_are_stored(
    http: httpx.AsyncClient, fake_rasa: FakeRasa, sessions: sessionmaker[Session]
) -> None:
    reply = {
        "recipient_id": "rest:x",
        "text": "Womit kann ich helfen?",
        "buttons": [{"title": "Versand", "payload": "/faq"}],
        "custom": {"kind": "menu"},
    }

    async def handler(body: dict[str, Any]) -> Response:
        return JSONResponse(
            [reply, {"recipient_id": "rest:x", "image": "https://example.test/a.png"}]
        )

    fake_rasa.handler = handler
    response = await http.post("/webhooks/rest/webhook", json={"sender": "x", "message": "Hilfe"})

    assert response.json() == [
        {**reply, "recipient_id": "x"},
        {"recipient_id": "x", "image": "https://example.test/a.png"},
    ]
    outbound = [m for m in stored(sessions) if m.direction == "out"]
    assert outbound[0].payload == {"buttons": reply["buttons"], "custom": {"kind": "menu"}}
    assert outbound[1].payload == {"image": "https://example.test/a.png"}


@pytest.mark.parametrize(
    ("message", "apology"),
    [("Hallo, wie geht's?", GERMAN_APOLOGY), ("hello there", ENGLISH_APOLOGY)],
)
async def test_rasa_down_gives_an_apology_and_keeps_the_message_unanswered(
    engine: Engine, database_url: str, sessions: sessionmaker[Session], message: str, apology: str
) -> None:
    dead_rasa = f"http://127.0.0.1:{free_port()}"
    async with gateway(make_settings(database_url, dead_rasa)) as http:
        response = await http.post(
            "/webhooks/rest/webhook", json={"sender": "s", "message": message}
        )

    assert response.status_code == 200
    assert response.json()[0]["text"].startswith(apology)
    inbound, reply = stored(sessions)
    assert (inbound.text, inbound.status) == (message, "unanswered")
    assert inbound.failure_reason is not None and "unreachable" in inbound.failure_reason
    assert (reply.author, reply.reply_to_id) == ("system", inbound.id)


@pytest.mark.parametrize("rasa_answer", [JSONResponse([]), Response("boom", status_code=500)])
async def test_empty_or_failed_rasa_answer_gives_an_apology(
    http: httpx.AsyncClient,
    fake_rasa: FakeRasa,
    sessions: sessionmaker[Session],
    rasa_answer: Response,
) -> None:
    async def handler(body: dict[str, Any]) -> Response:
        return rasa_answer

    fake_rasa.handler = handler
    response = await http.post("/webhooks/rest/webhook", json={"sender": "s", "message": "Punkte?"})

    assert response.json()[0]["text"].startswith(GERMAN_APOLOGY)
    assert stored(sessions)[0].status == "unanswered"


async def test_provider_retry_is_answered_once_with_the_same_reply(
    http: httpx.AsyncClient, fake_rasa: FakeRasa, sessions: sessionmaker[Session]
) -> None:
    body = {"sender": "anna", "message": "Hallo", "metadata": {"message_id": "m-1"}}
    first, second = await asyncio.gather(
        http.post("/webhooks/rest/webhook", json=body),
        http.post("/webhooks/rest/webhook", json=body),
    )

    assert first.json() == second.json()
    assert len(fake_rasa.requests) == 1
    assert [m.direction for m in stored(sessions)] == ["in", "out"]


async def test_one_conversation_is_processed_in_order_others_in_parallel(
    http: httpx.AsyncClient, fake_rasa: FakeRasa
) -> None:
    posts = [
        http.post("/webhooks/rest/webhook", json={"sender": sender, "message": f"Nachricht {i}"})
        for i in range(4)
        for sender in ("a", "b")
    ]
    await asyncio.gather(*posts)

    assert fake_rasa.max_in_flight == {"rest:a": 1, "rest:b": 1}
    for sender in ("rest:a", "rest:b"):
        texts = [r["message"] for r in fake_rasa.requests if r["sender"] == sender]
        assert texts == [f"Nachricht {i}" for i in range(4)]


async def test_conversation_remembers_its_language(
    http: httpx.AsyncClient, fake_rasa: FakeRasa, sessions: sessionmaker[Session]
) -> None:
    for text in ("hello there", "ok", "Wie lange sind Punkte gültig?"):
        await http.post("/webhooks/rest/webhook", json={"sender": "x", "message": text})

    languages = [r["metadata"]["language"] for r in fake_rasa.requests]
    assert languages == ["en", "en", "de"]
    with sessions() as session:
        assert session.scalars(select(Conversation.language)).one() == "de"


@pytest.mark.parametrize(("hint", "expected"), [("en-GB", "en"), ("de-CH", "de"), ("fr", "de")])
async def test_channel_language_hint_seeds_a_new_conversation(
    http: httpx.AsyncClient, fake_rasa: FakeRasa, hint: str, expected: str
) -> None:
    body = {"sender": "x", "message": "ok", "metadata": {"language": hint}}
    await http.post("/webhooks/rest/webhook", json=body)

    assert fake_rasa.requests[0]["metadata"]["language"] == expected


async def test_button_payloads_keep_the_conversation_language(
    http: httpx.AsyncClient, fake_rasa: FakeRasa
) -> None:
    payload = '/choose_topic{"topic": "faq/shipping_germany"}'
    for text in ("Hallo", payload):
        await http.post("/webhooks/rest/webhook", json={"sender": "x", "message": text})

    assert [r["metadata"]["language"] for r in fake_rasa.requests] == ["de", "de"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"message": "no sender"}',
        b'{"sender": "", "message": "x"}',
        b'{"sender": "x", "message": 5}',
    ],
)
async def test_malformed_request_is_rejected_and_nothing_is_stored(
    http: httpx.AsyncClient, fake_rasa: FakeRasa, sessions: sessionmaker[Session], body: bytes
) -> None:
    response = await http.post("/webhooks/rest/webhook", content=body)

    assert response.status_code == 400
    assert "malformed message" in response.json()["detail"]
    assert stored(sessions) == [] and fake_rasa.requests == []


async def test_without_token_only_loopback_clients_are_served(
    engine: Engine, database_url: str, rasa_url: str, sessions: sessionmaker[Session]
) -> None:
    async with gateway(make_settings(database_url, rasa_url), client=("203.0.113.9", 4000)) as http:
        response = await http.post(
            "/webhooks/rest/webhook", json={"sender": "x", "message": "Hallo"}
        )

    assert response.status_code == 403
    assert stored(sessions) == []


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 401), ("Bearer wrong", 403), ("Basic c2VjcmV0", 401), ("Bearer s3cret", 200)],
)
async def test_with_token_a_bearer_token_is_required_from_anywhere(
    engine: Engine, database_url: str, rasa_url: str, header: str | None, status: int
) -> None:
    settings = make_settings(database_url, rasa_url, rest_api_token="s3cret")
    headers = {"Authorization": header} if header else {}
    async with gateway(settings, client=("203.0.113.9", 4000)) as http:
        response = await http.post(
            "/webhooks/rest/webhook", json={"sender": "x", "message": "Hallo"}, headers=headers
        )

    assert response.status_code == status


async def test_health_is_ok_when_everything_is_ready(http: httpx.AsyncClient) -> None:
    response = await http.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["rasa"] == {"ready": True, "detail": "model models/fake.tar.gz loaded"}
    assert body["action_server"]["ready"] and body["database"]["ready"]
    assert body["coordination"] == {"ready": True, "detail": "in memory (one gateway process)"}


async def test_health_is_unavailable_without_a_model(
    http: httpx.AsyncClient, fake_rasa: FakeRasa
) -> None:
    fake_rasa.model_loaded = False
    response = await http.get("/health")

    assert response.status_code == 503
    assert response.json()["rasa"] == {
        "ready": False,
        "detail": "Rasa is up but has no model loaded",
    }


async def test_health_is_unavailable_when_action_server_and_rasa_are_down(
    engine: Engine, database_url: str
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    async with gateway(make_settings(database_url, dead)) as http:
        response = await http.get("/health")

    assert response.status_code == 503
    body = response.json()
    assert not body["rasa"]["ready"] and not body["action_server"]["ready"]
    assert body["database"]["ready"]


async def test_demo_page_is_served(http: httpx.AsyncClient) -> None:
    response = await http.get("/")

    script = await http.get("/widget.js")

    assert response.status_code == 200
    assert "Nordlicht" in response.text and '<script src="/widget.js"' in response.text
    assert script.headers["content-type"].startswith("text/javascript")
    assert "/widget/ws" in script.text
