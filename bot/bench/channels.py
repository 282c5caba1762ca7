"""Webhook acknowledgement of Telegram and WhatsApp (Twilio): how soon the gateway says 200.

The gateway stores an update and acknowledges it before the assistant answers;
the reply goes out later through the provider's API. The embedded stack is
started with both channels pointed at the project's fake providers
(tests/fakes/), which accept those replies; the bench posts updates signed the
way Telegram (secret token header) and Twilio (X-Twilio-Signature) sign them.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

from bot.bench.endpoints import Answer

TELEGRAM_PATH = "/webhooks/telegram/webhook"
TWILIO_PATH = "/webhooks/twilio/webhook"
TELEGRAM_SECRET = "bench-telegram-secret"
PUBLIC_BASE_URL = "https://bench.example"
FIRST_CHAT_ID = 910_000_000
"""Telegram chats of the bench; far from the demo customers' user ids (70000000x)."""


@dataclass(frozen=True)
class FakeProviders:
    env: dict[str, str]
    """Gateway settings that point Telegram and Twilio at the fakes."""
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_from: str
    delivered: Callable[[], dict[str, int]]
    """Replies the fakes accepted so far, per channel."""
    delivered_to: Callable[[str, str], int]
    """Replies the fakes accepted so far for one chat: (channel, chat id or whatsapp:+number)."""


@contextlib.contextmanager
def fake_providers() -> Iterator[FakeProviders]:
    """The e2e tests' fake Bot API and Twilio API on free loopback ports."""
    # A development tool run from the checkout: it reuses the fakes the tests trust
    # instead of keeping a second copy of their wire formats.
    from tests.fakes.rasa import serve
    from tests.fakes.telegram import FakeTelegram
    from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, SHOP_NUMBER, FakeTwilio

    telegram, twilio = FakeTelegram(), FakeTwilio()
    with serve(telegram.app()) as telegram_url, serve(twilio.app()) as twilio_url:
        env = {
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_MODE": "webhook",
            "TELEGRAM_API_URL": f"{telegram_url}/bot",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_WHATSAPP_FROM": SHOP_NUMBER,
            "TWILIO_API_URL": twilio_url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        }
        yield FakeProviders(
            env,
            ACCOUNT_SID,
            AUTH_TOKEN,
            SHOP_NUMBER,
            lambda: {"telegram": len(telegram.sent()), "twilio": len(twilio.sent)},
            lambda channel, address: (
                len(telegram.sent(int(address)))
                if channel == "telegram"
                else len(twilio.to(address))
            ),
        )


def _ack(response: httpx.Response) -> Answer:
    return Answer("ok" if response.status_code == 200 else "http_error", response.status_code)


class TelegramEndpoint:
    """Posts text updates as Telegram does; one chat per bench conversation."""

    name = "telegram"

    def __init__(self, http: httpx.AsyncClient, gateway_url: str, *, secret: str) -> None:
        self._http = http
        self._url = gateway_url.rstrip("/") + TELEGRAM_PATH
        self._headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        self._chats: dict[str, int] = {}
        self._chat_ids = itertools.count(FIRST_CHAT_ID)
        self._update_ids = itertools.count(1)

    def update(self, sender: str, text: str, language: str) -> dict[str, Any]:
        """A private text message update, as Telegram posts it."""
        chat = self._chats.setdefault(sender, next(self._chat_ids))
        update_id = next(self._update_ids)
        user = {"id": chat, "is_bot": False, "first_name": "Bench", "language_code": language}
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private", "first_name": "Bench"},
                "from": user,
                "text": text,
            },
        }

    async def send(self, sender: str, text: str, language: str) -> Answer:
        try:
            response = await self._http.post(
                self._url, json=self.update(sender, text, language), headers=self._headers
            )
        except httpx.TimeoutException:
            return Answer("timeout")
        except httpx.HTTPError:
            return Answer("transport_error")
        return _ack(response)


class TwilioEndpoint:
    """Posts WhatsApp messages as Twilio does, signed for the gateway's public URL."""

    name = "twilio"

    def __init__(
        self,
        http: httpx.AsyncClient,
        gateway_url: str,
        *,
        account_sid: str,
        auth_token: str,
        shop_number: str,
        public_base_url: str,
    ) -> None:
        self._http = http
        self._url = gateway_url.rstrip("/") + TWILIO_PATH
        self._signed_url = public_base_url.rstrip("/") + TWILIO_PATH
        self._validator = RequestValidator(auth_token)
        self._account_sid = account_sid
        self._shop_number = shop_number
        self._numbers: dict[str, str] = {}
        self._message_ids = itertools.count(1)

    def form(self, sender: str, text: str) -> dict[str, str]:
        """A WhatsApp message webhook's form fields; numbers are unknown to the demo data."""
        number = self._numbers.setdefault(sender, f"whatsapp:+4915990{len(self._numbers):06d}")
        sid = f"SMbench{next(self._message_ids):026d}"
        return {
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "AccountSid": self._account_sid,
            "From": number,
            "To": self._shop_number,
            "Body": text,
            "NumMedia": "0",
            "ProfileName": "Bench",
            "WaId": number.removeprefix("whatsapp:+"),
        }

    async def send(self, sender: str, text: str, language: str) -> Answer:
        form = self.form(sender, text)
        signature = self._validator.compute_signature(self._signed_url, form)
        try:
            response = await self._http.post(
                self._url, data=form, headers={"X-Twilio-Signature": signature}
            )
        except httpx.TimeoutException:
            return Answer("timeout")
        except httpx.HTTPError:
            return Answer("transport_error")
        return _ack(response)
