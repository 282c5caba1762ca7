"""The gateway app in-process, with test settings, behind an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from bot.app import create_app
from bot.settings import GatewaySettings
from tests.fakes.rasa import RASA_TEST_TOKEN
from tests.fakes.telegram import FakeTelegram

LOOPBACK = ("127.0.0.1", 50000)


def make_settings(database_url: str, rasa_url: str, **overrides: Any) -> GatewaySettings:
    """Settings pointing at a test database and a (fake) Rasa that also answers /health."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "rasa_url": rasa_url,
        "rasa_token": RASA_TEST_TOKEN,
        "action_server_url": rasa_url,
        "rasa_timeout_seconds": 5,
        # One process coordinating in memory, whatever REDIS_URL the shell has.
        "redis_url": None,
        **overrides,
    }
    return GatewaySettings(**values)


TELEGRAM_SECRET = "telegram-webhook-secret"


def telegram_settings(
    database_url: str, rasa_url: str, telegram_url: str, **overrides: Any
) -> GatewaySettings:
    """Test settings with Telegram pointed at the fake Bot API at `telegram_url`."""
    return make_settings(
        database_url,
        rasa_url,
        telegram_bot_token=FakeTelegram.token,
        telegram_webhook_secret=TELEGRAM_SECRET,
        telegram_api_url=f"{telegram_url}/bot",
        **overrides,
    )


@asynccontextmanager
async def gateway(
    settings: GatewaySettings, client: tuple[str, int] = LOOPBACK
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, behind an HTTP client from `client`'s address."""
    async with gateway_app(settings, client) as (_, http):
        yield http


@asynccontextmanager
async def gateway_app(
    settings: GatewaySettings, client: tuple[str, int] = LOOPBACK
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """Like `gateway`, also handing out the app (its state holds the running parts)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield app, http
