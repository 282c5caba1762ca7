"""What the router, the channels and the console need from the gateway processes' coordination.

One gateway process keeps it in memory (`local.py`); several share it through Redis
(`redis_order.py`, `redis_bus.py`). Callers depend on these protocols only, so the
choice is made once, by `wiring.py`, from REDIS_URL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeAlias

Turn: TypeAlias = int | None
"""A message's place in its conversation across processes; None where the process alone
keeps the order (one process, or Redis unreachable while the message was stored)."""

Event: TypeAlias = dict[str, Any]
"""A JSON object published on a topic."""

Handler: TypeAlias = Callable[[Event], Awaitable[None]]

QUEUE_TOPIC = "console-queue"
"""The handoff queue changed (requested, claimed, passed on, closed, customer wrote)."""
WIDGET_TOPIC = "widget"
"""Events for every open tab of one widget session: {"sender": str, "events": [...]}."""


class CoordinationUnavailableError(Exception):
    """The conversation could not be locked (Redis unreachable); the message is not answered."""


class Arrival(Protocol):
    async def take_turn(self) -> Turn:
        """The place in line of the message being stored, once it is known to need an answer."""


class ConversationOrder(Protocol):
    """One message of a conversation at a time, in arrival order; conversations in parallel."""

    def exclusive(self, sender_id: str) -> AbstractAsyncContextManager[None]:
        """Hold the conversation: no other task of any gateway process works on it meanwhile.

        Raises CoordinationUnavailableError on entering when the lock cannot be had.
        """

    def arriving(self, sender_id: str) -> AbstractAsyncContextManager[Arrival]:
        """Store arriving messages of a conversation one at a time; turns follow that order."""

    def in_turn(self, sender_id: str, turn: Turn) -> AbstractAsyncContextManager[None]:
        """Wait until the messages before `turn` are done, then hold the conversation.

        Raises CoordinationUnavailableError on entering when the lock cannot be had.
        """


class Bus(Protocol):
    """Events for whoever listens, in this process and (with Redis) in the others."""

    @property
    def spans_processes(self) -> bool:
        """True while events published by other gateway processes arrive here."""

    async def publish(self, topic: str, event: Event) -> None:
        """Hand `event` to every handler of `topic`; never raises for a delivery failure."""

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Call `handler` for each event on `topic` until the returned function is called."""
