"""Chooses how gateway processes coordinate: in memory, or through Redis when REDIS_URL is set."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from bot.coordination.local import LocalBus, LocalOrder
from bot.coordination.protocols import Bus, ConversationOrder
from bot.coordination.redis_bus import RedisBus
from bot.coordination.redis_order import RedisOrder
from bot.health import Component
from bot.settings import GatewaySettings

logger = logging.getLogger(__name__)

LEASE_MARGIN_SECONDS = 15.0
"""A conversation lock outlasts one assistant call (RASA_TIMEOUT_SECONDS) by this much."""
SOCKET_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Coordination:
    order: ConversationOrder
    bus: Bus
    health: Callable[[], Awaitable[Component]]
    """Whether the processes can coordinate now (for /health)."""


async def _in_memory() -> Component:
    return Component(True, "in memory (one gateway process)")


@asynccontextmanager
async def coordination(settings: GatewaySettings) -> AsyncIterator[Coordination]:
    """In-memory coordination for one process, or Redis-backed for several."""
    if settings.redis_url is None:
        yield Coordination(LocalOrder(), LocalBus(), _in_memory)
        return
    warn_about_per_process_secrets(settings)
    where = redacted(settings.redis_url)
    redis = Redis.from_url(
        settings.redis_url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        # A blip is retried briefly; an outage is reported at once rather than after seconds.
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
        health_check_interval=30,
    )
    prefix = settings.redis_key_prefix
    bus = RedisBus(redis, prefix=prefix, where=where)
    lease = settings.rasa_timeout_seconds + LEASE_MARGIN_SECONDS
    order = RedisOrder(redis, prefix=prefix, lease_seconds=lease, where=where)

    async def health() -> Component:
        try:
            await redis.ping()
        except RedisError as error:
            return Component(False, f"Redis at {where} not reachable: {type(error).__name__}")
        return Component(True, f"Redis at {where} reachable")

    try:
        async with bus.listening():
            yield Coordination(order, bus, health)
    finally:
        await redis.aclose()


def warn_about_per_process_secrets(settings: GatewaySettings) -> None:
    """Secrets left random differ between processes, which several gateways cannot work with."""
    if settings.widget_session_secret is None:
        logger.warning(
            "REDIS_URL is set (several gateway processes) but WIDGET_SESSION_SECRET is not: "
            "each process signs widget sessions with its own random secret, so a new chat that "
            "reconnects to another process starts over. Set the same WIDGET_SESSION_SECRET on "
            "every gateway."
        )
    if settings.console_secret_key is None:
        logger.warning(
            "REDIS_URL is set (several gateway processes) but CONSOLE_SECRET_KEY is not: each "
            "process signs console logins with its own random key, so agents are logged out "
            "whenever a request reaches another process. Set the same CONSOLE_SECRET_KEY on "
            "every gateway."
        )


def redacted(url: str) -> str:
    """The URL without its password, for log lines."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:***" if parts.username else ":***"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))
