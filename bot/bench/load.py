"""The two load shapes: paced conversations on a fixed timetable, and back-to-back saturation.

Each simulated customer works through scripted conversations and never sends
the next message before the previous reply arrived (as a real customer would).
The clock and sleep are injectable so the timetable can be tested without waiting.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.bench.endpoints import Endpoint
from bot.bench.script import Conversation, ConversationMix
from bot.bench.stats import Phase, Sample

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
LATE_TOLERANCE_SECONDS = 0.05
"""A message sent later than this after its planned time counts as late."""


@dataclass(frozen=True)
class PacedSchedule:
    """Customer u sends message k at offset(u) + k * interval; starts are staggered evenly."""

    users: int
    interval: float
    duration: float

    def offset(self, user: int) -> float:
        return user * self.interval / self.users

    def due(self, user: int, k: int) -> float:
        """Seconds after the phase start when `user` sends its k-th message (from 0)."""
        return self.offset(user) + k * self.interval

    @property
    def offered_rate(self) -> float:
        """Messages per second the timetable offers once every customer has started."""
        return self.users / self.interval

    def planned(self) -> int:
        """How many messages the timetable holds within the duration."""
        return sum(
            max(0, math.ceil((self.duration - self.offset(u)) / self.interval))
            for u in range(self.users)
        )


class Budget:
    """An optional cap on messages shared by all customers of a phase."""

    def __init__(self, limit: int | None) -> None:
        self._left = limit

    def take(self) -> bool:
        if self._left is None:
            return True
        if self._left <= 0:
            return False
        self._left -= 1
        return True


class _Customer:
    """Walks through conversations of the mix, one message at a time."""

    def __init__(self, mix: ConversationMix) -> None:
        self._mix = mix
        self._conversation: Conversation | None = None
        self._step = 0

    def next_message(self) -> tuple[Conversation, str]:
        if self._conversation is None or self._step >= len(self._conversation.script.messages):
            self._conversation, self._step = self._mix.next(), 0
        text = self._conversation.script.messages[self._step]
        self._step += 1
        return self._conversation, text


async def _timed(endpoint: Endpoint, conversation: Conversation, text: str, clock: Clock) -> Sample:
    started = clock()
    answer = await endpoint.send(conversation.sender, text, conversation.script.language)
    label = f"{conversation.script.name}: {text}"
    return Sample(started, clock() - started, answer.outcome, label, answer.timing)


async def run_paced(
    endpoint: Endpoint,
    mix: ConversationMix,
    schedule: PacedSchedule,
    *,
    max_messages: int | None = None,
    clock: Clock = time.perf_counter,
    sleep: Sleep = asyncio.sleep,
) -> Phase:
    """Every customer sends on the timetable until the duration (or the cap) is used up."""
    phase = Phase()
    budget = Budget(max_messages)
    start = clock()

    async def customer(user: int) -> None:
        walker = _Customer(mix)
        k = 0
        while schedule.due(user, k) < schedule.duration and budget.take():
            delay = start + schedule.due(user, k) - clock()
            if delay > 0:
                await sleep(delay)
            elif -delay > LATE_TOLERANCE_SECONDS:
                phase.late += 1
            conversation, text = walker.next_message()
            phase.samples.append(await _timed(endpoint, conversation, text, clock))
            k += 1

    await asyncio.gather(*(customer(u) for u in range(schedule.users)))
    phase.elapsed = clock() - start
    return phase


async def run_saturation(
    endpoint: Endpoint,
    mix: ConversationMix,
    *,
    concurrency: int,
    duration: float = math.inf,
    max_messages: int | None = None,
    clock: Clock = time.perf_counter,
) -> Phase:
    """`concurrency` customers send back to back until the duration or the cap is reached."""
    if math.isinf(duration) and max_messages is None:
        raise ValueError("saturation needs a duration or a message cap")
    phase = Phase()
    budget = Budget(max_messages)
    start = clock()
    end = start + duration

    async def customer() -> None:
        walker = _Customer(mix)
        while clock() < end and budget.take():
            conversation, text = walker.next_message()
            phase.samples.append(await _timed(endpoint, conversation, text, clock))

    await asyncio.gather(*(customer() for _ in range(concurrency)))
    phase.elapsed = clock() - start
    return phase
