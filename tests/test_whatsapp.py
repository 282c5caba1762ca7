"""WhatsApp end to end with the real twilio client against a fake Twilio Messages API.

Signed webhook in → gateway → (fake) Rasa → Messages API out; delivery statuses back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import JSONResponse, Response

from bot.channels.whatsapp import (
    STATUS_PATH,
    WEBHOOK_PATH,
    ServiceWindowClosedError,
    WhatsAppChannel,
    make_client,
)
from bot.db.orm import Message
from bot.messages import Outbound, split_text
from bot.responses import DomainResponses
from tests.fakes.rasa import FakeRasa, nps_question, serve
from tests.fakes.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SHOP_NUMBER,
    FakeTwilio,
    incoming,
    signed,
)
from tests.gateway_client import gateway, make_settings

PUBLIC = "https://shop.example"
ANNA = "whatsapp:+4915112345678"
STRANGER = "whatsapp:+491700000000"


@pytest.fixture
def fake_twilio() -> FakeTwilio:
    return FakeTwilio()


@pytest.fixture
def twilio_url(fake_twilio: FakeTwilio) -> Iterator[str]:
    with serve(fake_twilio.app()) as url:
        yield url


@pytest.fixture
async def whatsapp_http(
    demo_sessions: sessionmaker[Session], database_url: str, rasa_url: str, twilio_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        database_url,
        rasa_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_from=SHOP_NUMBER,
        twilio_api_url=twilio_url,
        public_base_url=PUBLIC,
    )
    async with gateway(settings) as client:
        yield client


async def post(
    http: httpx.AsyncClient, form: dict[str, str], path: str = WEBHOOK_PATH, **headers: str
) -> httpx.Response:
    signature = signed(f"{PUBLIC}{path}", form)
    return await http.post(path, data=form, headers={**signature, **headers})


def stored(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with sessions() as session:
        return [
            (m.direction, m.text, m.status)
            for m in session.scalars(select(Message).order_by(Message.id))
        ]


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Twilio-Signature": "forged"}, signed(f"{PUBLIC}/elsewhere", incoming("SM1", ANNA))],
)
async def test_unsigned_or_forged_webhooks_are_refused_and_not_processed(
    whatsapp_http: httpx.AsyncClient,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    demo_sessions: sessionmaker[Session],
    headers: dict[str, str],
) -> None:
    response = await whatsapp_http.post(WEBHOOK_PATH, data=incoming("SM1", ANNA), headers=headers)
    await asyncio.sleep(0.2)
    assert response.status_code == 403
    assert fake_rasa.requests == [] and fake_twilio.sent == [] and stored(demo_sessions) == []


async def test_a_message_links_the_registered_number_and_is_answered_through_twilio(
    whatsapp_http: httpx.AsyncClient,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    demo_sessions: sessionmaker[Session],
) -> None:
    response = await post(whatsapp_http, incoming("SM1", ANNA, "Hallo"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    [sent] = await fake_twilio.wait_for(ANNA, 1)

    [forwarded] = fake_rasa.requests
    assert forwarded["sender"] == ANNA and forwarded["input_channel"] == "whatsapp"
    assert forwarded["metadata"]["customer"] == {"verified": True, "first_name": "Anna"}
    assert (sent["From"], sent["Body"]) == (SHOP_NUMBER, "echo[de]: Hallo")
    assert sent["StatusCallback"] == f"{PUBLIC}{STATUS_PATH}"


async def test_a_known_customer_is_answered_in_their_language_from_the_first_word(
    whatsapp_http: httpx.AsyncClient, fake_rasa: FakeRasa, fake_twilio: FakeTwilio
) -> None:
    john = "whatsapp:+447700900123"
    await post(whatsapp_http, incoming("SM1", john, "hi"))
    await fake_twilio.wait_for(john, 1)
    assert fake_rasa.requests[0]["metadata"]["language"] == "en"


async def test_an_unregistered_number_is_not_linked(
    whatsapp_http: httpx.AsyncClient, fake_rasa: FakeRasa, fake_twilio: FakeTwilio
) -> None:
    await post(whatsapp_http, incoming("SM1", STRANGER, "Hallo"))
    await fake_twilio.wait_for(STRANGER, 1)
    assert fake_rasa.requests[0]["metadata"]["customer"] is None


async def test_a_retried_message_is_answered_once(
    whatsapp_http: httpx.AsyncClient, fake_rasa: FakeRasa, fake_twilio: FakeTwilio
) -> None:
    for _ in range(3):
        assert (await post(whatsapp_http, incoming("SM7", ANNA, "Hallo"))).status_code == 200
    await fake_twilio.wait_for(ANNA, 1)
    await asyncio.sleep(0.3)
    assert len(fake_rasa.requests) == 1 and len(fake_twilio.sent) == 1


async def test_buttons_become_a_numbered_list_and_a_number_picks_the_payload(
    whatsapp_http: httpx.AsyncClient, fake_rasa: FakeRasa, fake_twilio: FakeTwilio
) -> None:
    async def with_buttons(body: dict[str, Any]) -> Response:
        buttons = [
            {"title": "Versand", "payload": "/versand"},
            {"title": "Rückgabe", "payload": "/rueckgabe"},
        ]
        return JSONResponse(
            [{"recipient_id": body["sender"], "text": "Wähle:", "buttons": buttons}]
        )

    fake_rasa.handler = with_buttons
    await post(whatsapp_http, incoming("SM1", ANNA, "Hilfe"))
    [menu] = await fake_twilio.wait_for(ANNA, 1)
    assert menu["Body"] == "Wähle:\n1. Versand\n2. Rückgabe\nAntworte einfach mit der Nummer."

    await post(whatsapp_http, incoming("SM2", ANNA, "2"))
    await fake_twilio.wait_for(ANNA, 2)
    assert fake_rasa.requests[1]["message"] == "/rueckgabe"


async def test_a_rating_scale_is_shown_as_numbers_and_a_number_is_the_score(
    whatsapp_http: httpx.AsyncClient, fake_rasa: FakeRasa, fake_twilio: FakeTwilio
) -> None:
    fake_rasa.handler = nps_question
    await post(whatsapp_http, incoming("SM1", ANNA, "Feedback"))
    [question] = await fake_twilio.wait_for(ANNA, 1)
    assert question["Body"] == (
        "0 bis 10?\n0 · 1 · 2 · 3 · 4 · 5 · 6 · 7 · 8 · 9 · 10\n– Nein danke\n"
        "Antworte einfach mit deiner Zahl."
    )

    await post(whatsapp_http, incoming("SM2", ANNA, "2"))
    await post(whatsapp_http, incoming("SM3", ANNA, "0"))
    await fake_twilio.wait_for(ANNA, 3)
    assert [r["message"] for r in fake_rasa.requests[1:]] == [
        '/rate{"score": 2}',
        '/rate{"score": 0}',
    ]


async def test_media_gets_a_text_request_and_long_bodies_are_split(
    whatsapp_http: httpx.AsyncClient, fake_rasa: FakeRasa, fake_twilio: FakeTwilio
) -> None:
    long_text = ("Wort " * 700).strip()

    async def long_reply(body: dict[str, Any]) -> Response:
        return JSONResponse([{"recipient_id": body["sender"], "text": long_text}])

    fake_rasa.handler = long_reply
    await post(whatsapp_http, incoming("SM1", ANNA, "", NumMedia="1", MediaUrl0="https://x/p.jpg"))
    sent = await fake_twilio.wait_for(ANNA, 3)
    assert fake_rasa.requests[0]["message"] == "/unsupported_message"
    assert all(len(m["Body"]) <= 1600 for m in sent)
    assert " ".join(m["Body"] for m in sent) == long_text


async def test_delivery_statuses_are_recorded(
    whatsapp_http: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    demo_sessions: sessionmaker[Session],
) -> None:
    await post(whatsapp_http, incoming("SM1", ANNA, "Hallo"))
    await fake_twilio.wait_for(ANNA, 1)
    for _ in range(50):
        with demo_sessions() as session:
            sid = session.scalar(
                select(Message.provider_message_id).where(Message.direction == "out")
            )
        if sid:
            break
        await asyncio.sleep(0.05)
    assert sid is not None

    status = {"MessageSid": sid, "MessageStatus": "read", "AccountSid": ACCOUNT_SID}
    forged = await whatsapp_http.post(STATUS_PATH, data=status)
    assert forged.status_code == 403
    assert (await post(whatsapp_http, status, path=STATUS_PATH)).status_code == 204
    assert stored(demo_sessions)[-1] == ("out", "echo[de]: Hallo", "read")


async def test_a_message_twilio_refuses_is_kept_as_failed(
    whatsapp_http: httpx.AsyncClient, fake_twilio: FakeTwilio, demo_sessions: sessionmaker[Session]
) -> None:
    fake_twilio.refuse_with = (400, 63016, "Outside the allowed window")
    await post(whatsapp_http, incoming("SM1", ANNA, "Hallo"))
    for _ in range(100):
        if stored(demo_sessions)[-1][2] == "failed":
            break
        await asyncio.sleep(0.05)
    assert stored(demo_sessions) == [
        ("in", "Hallo", "answered"),
        ("out", "echo[de]: Hallo", "failed"),
    ]


async def test_outside_the_24_hour_window_only_the_template_is_sent(
    twilio_url: str, fake_twilio: FakeTwilio
) -> None:
    client = make_client(ACCOUNT_SID, AUTH_TOKEN, api_url=twilio_url)
    try:
        await _send_outside_the_window(client, fake_twilio)
    finally:
        await client.http_client.close()


async def _send_outside_the_window(client: Any, fake_twilio: FakeTwilio) -> None:
    replies = DomainResponses({"utter_numbered_choice_hint": [{"text": "Nummer?"}]})
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=25)
    common: dict[str, Any] = {"sender": SHOP_NUMBER, "router": None, "replies": replies}
    without = WhatsAppChannel(client, status_callback=None, template_sid=None, **common)
    with pytest.raises(ServiceWindowClosedError, match="24 hours"):
        await without.send(ANNA, [Outbound(ANNA, "Hallo")], last_customer_message=old)

    templated = WhatsAppChannel(client, status_callback=None, template_sid="HX123", **common)
    [sid] = await templated.send(ANNA, [Outbound(ANNA, "Hallo")], last_customer_message=old)
    [sent] = fake_twilio.sent
    assert sid and (sent["ContentSid"], sent["ContentVariables"]) == ("HX123", '{"1": "Hallo"}')
    assert "Body" not in sent


async def test_without_credentials_the_channel_is_off(http: httpx.AsyncClient) -> None:
    assert (await post(http, incoming("SM1", ANNA, "Hallo"))).status_code == 404


def test_split_text_keeps_words_whole() -> None:
    assert split_text("a" * 1000 + " " + "b" * 1000, 1600) == ["a" * 1000, "b" * 1000]
