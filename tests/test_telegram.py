"""Telegram end to end with the real python-telegram-bot client against a fake Bot API.

Webhook in → gateway → (fake) Rasa → Bot API calls out, with the chat, text and
keyboard a real Telegram client would render.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import JSONResponse, Response

from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH, register_webhook
from bot.db.orm import ChannelIdentity, Message
from bot.messages import split_text
from bot.settings import TelegramSettings
from tests.fakes.rasa import FakeRasa, nps_question
from tests.fakes.telegram import (
    FakeTelegram,
    button_tap,
    contact_update,
    photo_update,
    text_update,
)
from tests.gateway_client import TELEGRAM_SECRET, gateway, make_settings, telegram_settings

SECRET = TELEGRAM_SECRET
ANNA = 700000001


@pytest.fixture
async def telegram_http(
    demo_sessions: sessionmaker[Session], database_url: str, rasa_url: str, telegram_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway(telegram_settings(database_url, rasa_url, telegram_url)) as client:
        yield client


async def post(http: httpx.AsyncClient, update: dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    response = await http.post(WEBHOOK_PATH, json=update, headers=headers)
    return response.status_code


def stored_texts(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with sessions() as session:
        return [
            (m.direction, m.text, m.status)
            for m in session.scalars(select(Message).order_by(Message.id))
        ]


async def settled(sessions: sessionmaker[Session], timeout: float = 5) -> None:
    """Wait until the gateway recorded that Telegram took the replies (just after sending)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while any(status == "sending" for _, _, status in stored_texts(sessions)):
        assert asyncio.get_running_loop().time() < deadline, stored_texts(sessions)
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
async def test_updates_without_the_secret_token_are_refused_and_not_processed(
    telegram_http: httpx.AsyncClient,
    fake_rasa: FakeRasa,
    fake_telegram: FakeTelegram,
    demo_sessions: sessionmaker[Session],
    secret: str | None,
) -> None:
    assert await post(telegram_http, text_update(1, ANNA, "Hallo"), secret) == 403
    await asyncio.sleep(0.2)
    assert fake_rasa.requests == [] and fake_telegram.sent() == []
    assert stored_texts(demo_sessions) == []


async def test_a_text_message_is_stored_answered_and_sent_to_the_chat(
    telegram_http: httpx.AsyncClient,
    fake_rasa: FakeRasa,
    fake_telegram: FakeTelegram,
    demo_sessions: sessionmaker[Session],
) -> None:
    assert await post(telegram_http, text_update(1, ANNA, "hello there", language="en")) == 200
    await fake_telegram.wait_for_messages(ANNA, 1)

    [forwarded] = fake_rasa.requests
    assert (forwarded["sender"], forwarded["message"]) == (f"telegram:{ANNA}", "hello there")
    assert forwarded["metadata"]["language"] == "en"
    assert fake_telegram.sent(ANNA)[0]["text"] == "echo[en]: hello there"
    assert "sendChatAction" in fake_telegram.methods()
    await settled(demo_sessions)
    assert stored_texts(demo_sessions) == [
        ("in", "hello there", "answered"),
        ("out", "echo[en]: hello there", "sent"),
    ]


async def test_a_repeated_update_is_processed_once(
    telegram_http: httpx.AsyncClient, fake_rasa: FakeRasa, fake_telegram: FakeTelegram
) -> None:
    for _ in range(3):
        assert await post(telegram_http, text_update(7, ANNA, "Hallo")) == 200
    await fake_telegram.wait_for_messages(ANNA, 1)
    await asyncio.sleep(0.3)
    assert len(fake_rasa.requests) == 1 and len(fake_telegram.sent(ANNA)) == 1


async def test_messages_of_one_chat_are_answered_in_order(
    telegram_http: httpx.AsyncClient, fake_rasa: FakeRasa, fake_telegram: FakeTelegram
) -> None:
    for number in range(1, 6):
        assert await post(telegram_http, text_update(number, ANNA, f"Nachricht {number}")) == 200
    await fake_telegram.wait_for_messages(ANNA, 5)
    assert [r["message"] for r in fake_rasa.requests] == [f"Nachricht {n}" for n in range(1, 6)]
    assert [m["text"] for m in fake_telegram.sent(ANNA)] == [
        f"echo[de]: Nachricht {n}" for n in range(1, 6)
    ]
    assert fake_rasa.max_in_flight[f"telegram:{ANNA}"] == 1


async def test_buttons_become_an_inline_keyboard_and_a_tap_sends_the_payload(
    telegram_http: httpx.AsyncClient, fake_rasa: FakeRasa, fake_telegram: FakeTelegram
) -> None:
    async def with_buttons(body: dict[str, Any]) -> Response:
        buttons = [{"title": "Versand", "payload": '/choose_topic{"topic": "faq/shipping"}'}]
        return JSONResponse([{"recipient_id": body["sender"], "text": "Wähle", "buttons": buttons}])

    fake_rasa.handler = with_buttons
    await post(telegram_http, text_update(1, ANNA, "Hilfe"))
    await fake_telegram.wait_for_messages(ANNA, 1)
    markup = fake_telegram.sent(ANNA)[0]["reply_markup"]
    assert markup == {
        "inline_keyboard": [
            [{"text": "Versand", "callback_data": '/choose_topic{"topic": "faq/shipping"}'}]
        ]
    }

    await post(telegram_http, button_tap(2, ANNA, '/choose_topic{"topic": "faq/shipping"}'))
    await fake_telegram.wait_for_messages(ANNA, 2)
    assert fake_rasa.requests[1]["message"] == '/choose_topic{"topic": "faq/shipping"}'
    assert "answerCallbackQuery" in fake_telegram.methods()


async def test_a_rating_scale_sits_in_even_rows_above_the_other_buttons(
    telegram_http: httpx.AsyncClient, fake_rasa: FakeRasa, fake_telegram: FakeTelegram
) -> None:
    fake_rasa.handler = nps_question
    await post(telegram_http, text_update(1, ANNA, "Feedback"))
    await fake_telegram.wait_for_messages(ANNA, 1)
    rows = fake_telegram.sent(ANNA)[0]["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in rows] == [
        ["0", "1", "2", "3", "4", "5"],
        ["6", "7", "8", "9", "10"],
        ["Nein danke"],
    ]


async def test_start_greets_and_other_media_get_a_text_request(
    telegram_http: httpx.AsyncClient, fake_rasa: FakeRasa, fake_telegram: FakeTelegram
) -> None:
    await post(telegram_http, text_update(1, ANNA, "/start winter-sale"))
    await post(telegram_http, photo_update(2, ANNA))
    await fake_telegram.wait_for_messages(ANNA, 2)
    assert [r["message"] for r in fake_rasa.requests] == ["/greet", "/unsupported_message"]
    assert fake_rasa.requests[0]["metadata"]["start_payload"] == "winter-sale"


async def test_own_shared_contact_links_the_chat_a_forwarded_one_does_not(
    telegram_http: httpx.AsyncClient,
    fake_rasa: FakeRasa,
    fake_telegram: FakeTelegram,
    demo_sessions: sessionmaker[Session],
) -> None:
    stranger = 700000009
    await post(telegram_http, contact_update(1, stranger, "+4915112345678", ANNA))
    await post(telegram_http, contact_update(2, ANNA, "4915112345678", ANNA))
    await fake_telegram.wait_for_messages(ANNA, 1)
    await fake_telegram.wait_for_messages(stranger, 1)

    by_sender = {r["sender"]: r for r in fake_rasa.requests}
    assert by_sender[f"telegram:{stranger}"]["message"] == "/contact_shared"
    assert by_sender[f"telegram:{stranger}"]["metadata"]["customer"] is None
    assert by_sender[f"telegram:{ANNA}"]["metadata"]["customer"] == {
        "verified": True,
        "first_name": "Anna",
    }
    with demo_sessions() as session:
        [link] = session.scalars(select(ChannelIdentity)).all()
        assert (link.sender_id, link.verified_via) == (f"telegram:{ANNA}", "telegram_contact")


async def test_share_phone_button_asks_for_the_contact(
    telegram_http: httpx.AsyncClient, fake_rasa: FakeRasa, fake_telegram: FakeTelegram
) -> None:
    async def ask_number(body: dict[str, Any]) -> Response:
        buttons = [{"title": "📱 Nummer teilen", "payload": "/share_phone"}]
        reply = {"recipient_id": body["sender"], "text": "Mitgliedsnummer?", "buttons": buttons}
        return JSONResponse([reply])

    fake_rasa.handler = ask_number
    await post(telegram_http, text_update(1, ANNA, "Punkte?"))
    await fake_telegram.wait_for_messages(ANNA, 1)
    assert fake_telegram.sent(ANNA)[0]["reply_markup"] == {
        "keyboard": [[{"text": "📱 Nummer teilen", "request_contact": True}]],
        "one_time_keyboard": True,
        "resize_keyboard": True,
    }


async def test_long_replies_are_split_and_flood_limits_are_waited_out(
    telegram_http: httpx.AsyncClient, fake_rasa: FakeRasa, fake_telegram: FakeTelegram
) -> None:
    long_text = ("Wort " * 1000).strip()

    async def long_reply(body: dict[str, Any]) -> Response:
        return JSONResponse([{"recipient_id": body["sender"], "text": long_text}])

    fake_rasa.handler = long_reply
    fake_telegram.flood_limited_sends = 1
    await post(telegram_http, text_update(1, ANNA, "Erzähl"))
    await fake_telegram.wait_for_messages(ANNA, 2, timeout=15)
    parts = [m["text"] for m in fake_telegram.sent(ANNA)]
    assert all(len(part) <= 4096 for part in parts)
    assert " ".join(parts) == long_text
    assert "sendMessage (refused: 429)" in fake_telegram.methods()


async def test_a_reply_telegram_refuses_is_kept_as_failed(
    telegram_http: httpx.AsyncClient,
    fake_telegram: FakeTelegram,
    demo_sessions: sessionmaker[Session],
) -> None:
    fake_telegram.token = "revoked"
    await post(telegram_http, text_update(1, ANNA, "Hallo"))
    for _ in range(100):
        if any(status == "failed" for _, _, status in stored_texts(demo_sessions)):
            break
        await asyncio.sleep(0.05)
    assert stored_texts(demo_sessions) == [
        ("in", "Hallo", "answered"),
        ("out", "echo[de]: Hallo", "failed"),
    ]


async def test_a_malformed_update_is_rejected(telegram_http: httpx.AsyncClient) -> None:
    response = await telegram_http.post(
        WEBHOOK_PATH, content=b"{not json", headers={SECRET_HEADER: SECRET}
    )
    assert response.status_code == 400


async def test_without_a_token_the_channel_is_off(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert await post(http, text_update(1, ANNA, "Hallo")) == 404


def test_split_text_prefers_line_breaks() -> None:
    text = "a" * 3000 + "\n" + "b" * 3000
    assert split_text(text, 4096) == ["a" * 3000, "b" * 3000]
    assert split_text("x" * 5000, 4096) == ["x" * 4096, "x" * 904]


async def test_polling_mode_fetches_updates_instead_of_a_webhook(
    demo_sessions: sessionmaker[Session],
    database_url: str,
    rasa_url: str,
    telegram_url: str,
    fake_telegram: FakeTelegram,
) -> None:
    settings = make_settings(
        database_url,
        rasa_url,
        telegram_bot_token=FakeTelegram.token,
        telegram_mode="polling",
        telegram_api_url=f"{telegram_url}/bot",
    )
    fake_telegram.updates.append(text_update(1, ANNA, "Hallo"))
    async with gateway(settings):
        await fake_telegram.wait_for_messages(ANNA, 1)
    assert fake_telegram.sent(ANNA)[0]["text"] == "echo[de]: Hallo"
    assert fake_telegram.methods().index("deleteWebhook") < fake_telegram.methods().index(
        "getUpdates"
    )


async def test_set_webhook_registers_the_public_url_with_the_secret(
    telegram_url: str, fake_telegram: FakeTelegram
) -> None:
    settings = TelegramSettings(
        telegram_bot_token=FakeTelegram.token,
        telegram_webhook_secret=SECRET,
        telegram_api_url=f"{telegram_url}/bot",
        public_base_url="https://shop.example/",
    )
    assert await register_webhook(settings, delete=False) == 0
    [call] = [c for c in fake_telegram.calls if c.method == "setWebhook"]
    assert call.params["url"] == f"https://shop.example{WEBHOOK_PATH}"
    assert call.params["secret_token"] == SECRET
    assert await register_webhook(TelegramSettings(), delete=False) == 2
