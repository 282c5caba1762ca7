"""Coordination of gateway processes: in memory, and through Redis with separate clients.

Each Redis-backed object gets its own client, as two gateway processes would, so
what holds here holds across processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from bot.coordination.local import LocalBus
from bot.coordination.protocols import CoordinationUnavailableError, Event
from bot.coordination.redis_bus import RedisBus
from bot.coordination.redis_order import RedisOrder
from bot.coordination.wiring import redacted, warn_about_per_process_secrets
from bot.launcher import free_port
from tests.conftest import RedisTarget
from tests.gateway_client import make_settings
from tests.own_redis import OwnRedis

LEASE = 0.6
OrderFactory = Callable[[], Awaitable[RedisOrder]]


@pytest.fixture
async def clients(redis_target: RedisTarget) -> AsyncIterator[list[Redis]]:
    """Redis clients made on demand, each with its own connections, closed after the test."""
    made: list[Redis] = []
    yield made
    for client in made:
        await client.aclose()


@pytest.fixture
def new_order(redis_target: RedisTarget, clients: list[Redis]) -> OrderFactory:
    async def make() -> RedisOrder:
        client = Redis.from_url(redis_target.url)
        clients.append(client)
        return RedisOrder(client, prefix=redis_target.prefix, lease_seconds=LEASE, where="test")

    return make


def recorder(log: list[Event]) -> Callable[[Event], Awaitable[None]]:
    async def handler(event: Event) -> None:
        log.append(event)

    return handler


async def test_local_bus_calls_every_handler_until_unsubscribed() -> None:
    bus = LocalBus()
    first: list[Event] = []
    second: list[Event] = []

    async def broken(_: Event) -> None:
        raise RuntimeError("a closed socket")

    bus.subscribe("t", broken)
    stop = bus.subscribe("t", recorder(first))
    bus.subscribe("t", recorder(second))
    await bus.publish("t", {"n": 1})
    stop()
    await bus.publish("t", {"n": 2})
    await bus.publish("other", {"n": 3})

    assert first == [{"n": 1}]
    assert second == [{"n": 1}, {"n": 2}]
    assert bus.spans_processes is False


@pytest.mark.redis
async def test_a_conversation_lock_is_held_across_clients_and_others_run_alongside(
    new_order: OrderFactory,
) -> None:
    one, two = await new_order(), await new_order()
    events: list[str] = []
    holding = asyncio.Event()

    async def first() -> None:
        async with one.exclusive("web:a"):
            holding.set()
            events.append("one in")
            # Longer than the lease: the holder renews it, so the other still waits.
            await asyncio.sleep(LEASE * 2)
            events.append("one out")

    async def second() -> None:
        await holding.wait()
        async with two.exclusive("web:a"):
            events.append("two in")

    async def other_conversation() -> None:
        await holding.wait()
        async with two.exclusive("web:b"):
            events.append("other conversation")

    await asyncio.gather(first(), second(), other_conversation())

    assert events == ["one in", "other conversation", "one out", "two in"]


@pytest.mark.redis
async def test_the_lock_is_released_when_the_work_fails(new_order: OrderFactory) -> None:
    one, two = await new_order(), await new_order()
    with pytest.raises(RuntimeError):
        async with one.exclusive("web:a"):
            raise RuntimeError("Rasa exploded")

    async def take_over() -> None:
        async with two.exclusive("web:a"):
            pass

    # Well before the lease would have run out.
    await asyncio.wait_for(take_over(), LEASE / 2)


@pytest.mark.redis
async def test_turns_follow_the_arrival_order_across_clients(new_order: OrderFactory) -> None:
    orders = [await new_order(), await new_order()]
    turns = []
    for index in range(4):
        async with orders[index % 2].arriving("web:a") as arrival:
            turns.append(await arrival.take_turn())
    answered: list[int] = []

    async def answer(index: int) -> None:
        async with orders[index % 2].in_turn("web:a", turns[index]):
            answered.append(index)
            await asyncio.sleep(0.02)

    # Started last-first; they still run in the order the messages arrived.
    await asyncio.gather(*(answer(index) for index in reversed(range(4))))

    assert turns == [1, 2, 3, 4]
    assert answered == [0, 1, 2, 3]


@pytest.mark.redis
async def test_a_turn_whose_predecessor_never_finishes_goes_ahead_after_the_lease(
    new_order: OrderFactory, caplog: pytest.LogCaptureFixture
) -> None:
    order = await new_order()
    async with order.arriving("web:a") as arrival:
        await arrival.take_turn()  # a process that stops before answering this one
    async with order.arriving("web:a") as arrival:
        turn = await arrival.take_turn()

    loop = asyncio.get_running_loop()
    started = loop.time()
    async with order.in_turn("web:a", turn):
        waited = loop.time() - started

    assert LEASE <= waited < LEASE + 1
    assert "did not finish" in caplog.text


async def test_without_redis_the_lock_fails_clearly_and_arrivals_are_still_stored() -> None:
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    order = RedisOrder(client, prefix="x", lease_seconds=LEASE, where="redis://dead")
    try:
        with pytest.raises(CoordinationUnavailableError, match="redis://dead is unreachable"):
            async with order.exclusive("web:a"):
                pass
        async with order.arriving("web:a") as arrival:
            assert await arrival.take_turn() is None
    finally:
        await client.aclose()


@pytest.mark.redis
async def test_events_reach_the_other_process_once_and_the_publisher_at_once(
    redis_target: RedisTarget, clients: list[Redis]
) -> None:
    buses = []
    for _ in range(2):
        client = Redis.from_url(redis_target.url)
        clients.append(client)
        buses.append(RedisBus(client, prefix=redis_target.prefix, where="test"))
    here: list[Event] = []
    there: list[Event] = []
    buses[0].subscribe("queue", recorder(here))
    buses[1].subscribe("queue", recorder(there))
    async with buses[0].listening(), buses[1].listening():
        await _until(lambda: all(bus.spans_processes for bus in buses))
        await buses[0].publish("queue", {"change": "claimed"})
        assert here == [{"change": "claimed"}]
        await _until(lambda: bool(there))
        await asyncio.sleep(0.2)

    assert here == there == [{"change": "claimed"}]


async def test_without_redis_events_still_reach_this_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    bus = RedisBus(client, prefix="x", where="redis://dead")
    got: list[Event] = []
    bus.subscribe("widget", recorder(got))
    try:
        async with bus.listening():
            await bus.publish("widget", {"sender": "web:a", "events": []})
            await bus.publish("widget", {"sender": "web:a", "events": []})
    finally:
        await client.aclose()

    assert len(got) == 2
    assert bus.spans_processes is False
    outages = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outages) == 1 and outages[0].levelno == logging.ERROR
    assert "stored but not answered" in outages[0].getMessage()


def test_several_gateways_without_shared_secrets_are_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings("sqlite://", "http://rasa", redis_url="redis://127.0.0.1:6379/0")
    warn_about_per_process_secrets(settings)
    text = caplog.text
    assert "WIDGET_SESSION_SECRET" in text and "CONSOLE_SECRET_KEY" in text

    caplog.clear()
    shared = make_settings(
        "sqlite://",
        "http://rasa",
        redis_url="redis://127.0.0.1:6379/0",
        widget_session_secret="w" * 32,
        console_secret_key="c" * 32,
    )
    warn_about_per_process_secrets(shared)
    assert caplog.text == ""


def test_log_lines_never_show_the_redis_password() -> None:
    assert redacted("redis://:s3cret@cache:6379/0") == "redis://:***@cache:6379/0"
    assert redacted("rediss://app:s3cret@cache/1") == "rediss://app:***@cache/1"
    assert redacted("redis://cache:6379") == "redis://cache:6379"


async def _until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), seconds)


async def test_after_an_outage_the_bus_and_the_locks_work_again_by_themselves(
    own_redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    client = Redis.from_url(own_redis.url, socket_connect_timeout=1)
    bus = RedisBus(client, prefix="x", where=own_redis.url)
    order = RedisOrder(client, prefix="x", lease_seconds=LEASE, where=own_redis.url)
    try:
        async with bus.listening():
            await _until(lambda: bus.spans_processes)
            own_redis.stop()
            await _until(lambda: not bus.spans_processes)
            with pytest.raises(CoordinationUnavailableError):
                async with order.exclusive("web:a"):
                    pass

            own_redis.start()
            await _until(lambda: bus.spans_processes, seconds=10)
            async with order.exclusive("web:a"):
                pass
    finally:
        await client.aclose()

    assert "is unreachable" in caplog.text
    assert "reachable again" in caplog.text
