"""Conversation order across gateway processes, kept in Redis.

Per conversation `<prefix>:conversation:<sender id>:…`:
- `lock`: held while a process stores and answers a message, so one message at a
  time reaches the assistant whichever process received it;
- `arrival`: held briefly while a message is stored; inside it the message takes a
  ticket from the hash `turns` (field `issued`), so tickets follow the stored order;
- `turns` field `served`: the newest ticket answered. A message waits until the
  tickets before it are served, so messages are answered in arrival order across
  processes, and within a process the router's tails keep that order anyway.

Locks are leases renewed while held: a process that dies frees its conversations
when the lease runs out, and a message whose predecessor makes no progress for a
lease goes ahead, with a warning. The lease outlasts a whole assistant call
(RASA_TIMEOUT_SECONDS plus a margin). Log lines name a conversation by its
channel and a hash, as sender ids can be phone numbers.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from bot.coordination.local import NO_TURNS
from bot.coordination.protocols import Arrival, CoordinationUnavailableError, Turn
from bot.locks import KeyedLocks

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.02
"""How often a waiting message looks again at a lock or at the turns of its conversation."""
TURNS_TTL_SECONDS = 24 * 3600
"""The turns of a conversation that has been quiet this long are forgotten."""

_SERVE = """
local served = tonumber(redis.call('HGET', KEYS[1], 'served') or '0')
if tonumber(ARGV[1]) > served then redis.call('HSET', KEYS[1], 'served', ARGV[1]) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
"""


class RedisOrder:
    def __init__(self, redis: Redis, *, prefix: str, lease_seconds: float, where: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._lease = lease_seconds
        self._where = where
        # Tasks of this process queue here first, so only one of them polls Redis per key.
        self._locks = KeyedLocks()
        self._arrivals = KeyedLocks()
        self._serve = redis.register_script(_SERVE)

    @asynccontextmanager
    async def exclusive(self, sender_id: str) -> AsyncIterator[None]:
        """Hold the conversation's lock in every gateway process."""
        async with self._locks.hold(sender_id), self._leased(sender_id, "lock"):
            yield

    @asynccontextmanager
    async def arriving(self, sender_id: str) -> AsyncIterator[Arrival]:
        """Store one message of the conversation at a time, across processes.

        Without Redis the message is still stored (it must never be lost); it just
        gets no place in the cross-process line, and answering it will report why.
        """
        async with self._arrivals.hold(sender_id), AsyncExitStack() as held:
            arrival: Arrival = _Tickets(self, sender_id)
            try:
                await held.enter_async_context(self._leased(sender_id, "arrival"))
            except CoordinationUnavailableError as error:
                logger.error(
                    "Storing a message of %s without the order across gateway processes: %s",
                    _label(sender_id),
                    error,
                )
                arrival = NO_TURNS
            yield arrival

    @asynccontextmanager
    async def in_turn(self, sender_id: str, turn: Turn) -> AsyncIterator[None]:
        """Wait until the tickets before `turn` are served, then hold the conversation."""
        if turn is not None:
            await self._wait_for_turn(sender_id, turn)
        try:
            async with self.exclusive(sender_id):
                yield
        finally:
            if turn is not None:
                await self._mark_served(sender_id, turn)

    async def take_ticket(self, sender_id: str) -> Turn:
        """The next place in the conversation's line; None when Redis cannot be reached."""
        key = self._key(sender_id, "turns")
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hincrby(key, "issued", 1)
                pipe.expire(key, TURNS_TTL_SECONDS)
                issued, _ = await pipe.execute()
        except RedisError as error:
            logger.error(
                "A message of %s gets no place in line across gateway processes: %s",
                _label(sender_id),
                self._unreachable(error),
            )
            return None
        return int(issued)

    def _key(self, sender_id: str, kind: str) -> str:
        return f"{self._prefix}:conversation:{sender_id}:{kind}"

    def _unreachable(self, error: RedisError) -> str:
        return f"Redis at {self._where} is unreachable ({type(error).__name__}: {error})"

    @asynccontextmanager
    async def _leased(self, sender_id: str, kind: str) -> AsyncIterator[None]:
        key = self._key(sender_id, kind)
        lock = self._redis.lock(key, timeout=self._lease, sleep=POLL_SECONDS, thread_local=False)
        try:
            await lock.acquire()
        except RedisError as error:
            raise CoordinationUnavailableError(self._unreachable(error)) from error
        name = f"the {kind} lock of {_label(sender_id)}"
        renewing = asyncio.create_task(self._renew(lock, name))
        try:
            yield
        finally:
            renewing.cancel()
            await self._release(lock, name)

    async def _renew(self, lock: Lock, name: str) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                await lock.reacquire()
            except LockError:
                logger.error(
                    "The lease on %s ran out while this process still held it; another gateway "
                    "process may work on the same conversation",
                    name,
                )
                return
            except RedisError as error:
                logger.warning("Could not renew %s (%s); trying again", name, error)

    async def _release(self, lock: Lock, name: str) -> None:
        try:
            await lock.release()
        except LockError:
            logger.warning("The lease on %s had run out before it was released", name)
        except RedisError as error:
            logger.warning(
                "Could not release %s (%s); it frees itself within %.0f s",
                name,
                self._unreachable(error),
                self._lease,
            )

    async def _wait_for_turn(self, sender_id: str, turn: int) -> None:
        key = self._key(sender_id, "turns")
        loop = asyncio.get_running_loop()
        last_served, since = -1, loop.time()
        while True:
            try:
                raw = await self._redis.hget(key, "served")
            except RedisError as error:
                raise CoordinationUnavailableError(self._unreachable(error)) from error
            served = int(raw or 0)
            if served >= turn - 1:
                return
            if served != last_served:
                last_served, since = served, loop.time()
            elif loop.time() - since > self._lease:
                logger.warning(
                    "A message of %s waited %.0f s for an earlier one that another gateway "
                    "process did not finish (did it stop?); answering it now",
                    _label(sender_id),
                    loop.time() - since,
                )
                return
            await asyncio.sleep(POLL_SECONDS)

    async def _mark_served(self, sender_id: str, turn: int) -> None:
        try:
            await self._serve(keys=[self._key(sender_id, "turns")], args=[turn, TURNS_TTL_SECONDS])
        except RedisError as error:
            logger.warning(
                "Could not record that a message of %s was answered (%s); the next one goes "
                "ahead after %.0f s",
                _label(sender_id),
                self._unreachable(error),
                self._lease,
            )


class _Tickets:
    def __init__(self, order: RedisOrder, sender_id: str) -> None:
        self._order = order
        self._sender_id = sender_id

    async def take_turn(self) -> Turn:
        return await self._order.take_ticket(self._sender_id)


def _label(sender_id: str) -> str:
    channel = sender_id.partition(":")[0]
    return f"a {channel} conversation ({hashlib.sha256(sender_id.encode()).hexdigest()[:8]})"
