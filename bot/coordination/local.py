"""One gateway process: conversations ordered by asyncio locks, events handed over in memory."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from bot.coordination.protocols import Arrival, Event, Handler, Turn
from bot.locks import KeyedLocks

logger = logging.getLogger(__name__)


class LocalOrder:
    """A lock per conversation; the router's per-conversation tails keep the arrival order."""

    def __init__(self) -> None:
        self._locks = KeyedLocks()
        self._arrivals = KeyedLocks()

    def exclusive(self, sender_id: str) -> AbstractAsyncContextManager[None]:
        """Hold the conversation's lock."""
        return self._locks.hold(sender_id)

    @asynccontextmanager
    async def arriving(self, sender_id: str) -> AsyncIterator[Arrival]:
        """Store one message of the conversation at a time."""
        async with self._arrivals.hold(sender_id):
            yield NO_TURNS

    def in_turn(self, sender_id: str, turn: Turn) -> AbstractAsyncContextManager[None]:
        """Hold the conversation's lock; in one process the tails already wait their turn."""
        return self._locks.hold(sender_id)


class _NoTurns:
    async def take_turn(self) -> Turn:
        return None


NO_TURNS = _NoTurns()
"""An arrival without a place in a cross-process line."""


class LocalBus:
    """Handlers of this process, called in the order they subscribed."""

    def __init__(self) -> None:
        self._handlers: defaultdict[str, list[Handler]] = defaultdict(list)

    @property
    def spans_processes(self) -> bool:
        """Always False: events reach this process only."""
        return False

    async def publish(self, topic: str, event: Event) -> None:
        """Call every handler of `topic`; one that fails is logged and the others still run."""
        for handler in list(self._handlers.get(topic, ())):
            try:
                await handler(event)
            except Exception:
                logger.exception("A handler of %s events failed; the others still got it", topic)

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Add `handler`; call the returned function to remove it again."""
        self._handlers[topic].append(handler)

        def unsubscribe() -> None:
            handlers = self._handlers.get(topic, [])
            if handler in handlers:
                handlers.remove(handler)
            if not handlers:
                self._handlers.pop(topic, None)

        return unsubscribe
