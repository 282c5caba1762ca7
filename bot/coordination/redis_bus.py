"""Live events between gateway processes over Redis pub/sub.

A published event goes to this process's own handlers at once and, through the
channel `<prefix>:events:<topic>`, to the other processes, each of which hands it
to its handlers (its widget tabs, its console queues). Each process listens on the
pattern `<prefix>:events:*` and skips what it published itself. While Redis is
unreachable, events reach this process only; the listener reconnects on its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.coordination.local import LocalBus
from bot.coordination.protocols import Event, Handler

logger = logging.getLogger(__name__)

RECONNECT_SECONDS = 2.0
LISTEN_SECONDS = 1.0
"""How long one read of the subscription waits before it looks again."""


class RedisBus:
    def __init__(self, redis: Redis, *, prefix: str, where: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._where = where
        self._local = LocalBus()
        self._origin = uuid.uuid4().hex
        self._connected = False
        self._outage_reported = False

    @property
    def spans_processes(self) -> bool:
        """True while this process's subscription is up."""
        return self._connected

    async def publish(self, topic: str, event: Event) -> None:
        """Hand `event` to this process's handlers, then to the other processes through Redis."""
        await self._local.publish(topic, event)
        message = json.dumps({"origin": self._origin, "event": event})
        try:
            await self._redis.publish(f"{self._prefix}:events:{topic}", message)
        except RedisError as error:
            self._report_outage(error)
            return
        if self._outage_reported and self._connected:
            self._report_connected()

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Call `handler` for events on `topic` from any gateway process."""
        return self._local.subscribe(topic, handler)

    @asynccontextmanager
    async def listening(self) -> AsyncIterator[None]:
        """Receive the other processes' events while the context is open."""
        task = asyncio.create_task(self._listen_forever())
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _listen_forever(self) -> None:
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.psubscribe(f"{self._prefix}:events:*")
                    self._report_connected()
                    while True:
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=LISTEN_SECONDS
                        )
                        if message is not None:
                            await self._receive(message)
            except RedisError as error:
                self._connected = False
                self._report_outage(error)
            except Exception:
                self._connected = False
                logger.exception("Listening for other gateway processes' events failed; restarting")
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _receive(self, message: dict[str, Any]) -> None:
        channel = message["channel"].decode()
        topic = channel.removeprefix(f"{self._prefix}:events:")
        try:
            envelope = json.loads(message["data"])
            origin, event = envelope["origin"], envelope["event"]
        except (ValueError, KeyError, TypeError) as error:
            logger.warning("Ignored a malformed event on %s (%s)", channel, error)
            return
        if origin != self._origin:
            await self._local.publish(topic, event)

    def _report_connected(self) -> None:
        if self._outage_reported:
            logger.warning(
                "Redis at %s is reachable again: gateway processes share live updates and answer "
                "messages again",
                self._where,
            )
        else:
            logger.info("Gateway processes share live updates through Redis at %s", self._where)
        self._connected, self._outage_reported = True, False

    def _report_outage(self, error: RedisError) -> None:
        if self._outage_reported:
            logger.debug("Redis at %s is still unreachable (%s)", self._where, error)
            return
        self._outage_reported = True
        logger.error(
            "Redis at %s is unreachable (%s: %s). Until it is back: widget replies reach only "
            "the browsers connected to this gateway process (the others get them from the "
            "history when they reconnect; nothing is lost), agent consoles check the database "
            "every second instead of being told about changes, and new customer messages are "
            "stored but not answered (they get an apology and stay marked unanswered with the "
            "reason). Trying to reconnect every %.0f s.",
            self._where,
            type(error).__name__,
            error,
            RECONNECT_SECONDS,
        )
