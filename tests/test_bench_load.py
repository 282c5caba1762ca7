"""The paced timetable and the saturation driver, on a virtual clock (no real waiting)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any

import pytest

from bot.bench.endpoints import Answer
from bot.bench.load import PacedSchedule, run_paced, run_saturation
from bot.bench.script import SCRIPTS, ConversationMix, Script
from bot.bench.stats import Phase


class VirtualTime:
    """A clock that jumps to the next sleeper's wake-up once every task is waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0), next(self._order), future))
        await future

    async def run(self, work: asyncio.Future[Phase]) -> None:
        while not work.done():
            for _ in range(20):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if self._sleepers and not work.done():
                wake, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake)
                future.set_result(None)


class Recorder:
    """An endpoint that answers after `latency` virtual seconds and notes each send."""

    name = "fake"

    def __init__(self, time: VirtualTime, latency: float) -> None:
        self.time, self.latency = time, latency
        self.sent: list[tuple[float, str, str]] = []

    async def send(self, sender: str, text: str, language: str) -> Answer:
        self.sent.append((self.time.now, sender, text))
        await self.time.sleep(self.latency)
        return Answer("ok", 200)


async def drive(time: VirtualTime, coroutine: Coroutine[Any, Any, Phase]) -> Phase:
    task = asyncio.ensure_future(coroutine)
    await time.run(task)
    return task.result()


def test_timetable_staggers_starts_evenly_and_offers_users_per_interval() -> None:
    schedule = PacedSchedule(users=50, interval=5.0, duration=20.0)
    assert schedule.offset(0) == 0 and schedule.offset(1) == pytest.approx(0.1)
    assert schedule.due(49, 2) == pytest.approx(14.9)
    assert schedule.offered_rate == 10.0
    assert schedule.planned() == 200
    assert PacedSchedule(users=4, interval=1.0, duration=0.6).planned() == 3


async def test_paced_customers_send_on_the_timetable() -> None:
    time = VirtualTime()
    endpoint = Recorder(time, latency=0.05)
    schedule = PacedSchedule(users=4, interval=1.0, duration=3.0)
    phase = await drive(
        time,
        run_paced(endpoint, ConversationMix("t"), schedule, clock=time.clock, sleep=time.sleep),
    )
    times = sorted(t for t, _, _ in endpoint.sent)
    assert times == pytest.approx([u * 0.25 + k for k in range(3) for u in range(4)])
    assert len(phase.samples) == schedule.planned() == 12
    assert phase.late == 0
    assert [s.latency for s in phase.samples] == pytest.approx([0.05] * 12)


async def test_a_slow_reply_delays_only_that_customers_next_message() -> None:
    time = VirtualTime()
    endpoint = Recorder(time, latency=1.5)
    schedule = PacedSchedule(users=1, interval=1.0, duration=3.0)
    phase = await drive(
        time,
        run_paced(endpoint, ConversationMix("t"), schedule, clock=time.clock, sleep=time.sleep),
    )
    # Never two messages of one conversation in flight: 0, then 1.5 (late), then 3.0 (late).
    assert [t for t, _, _ in endpoint.sent] == pytest.approx([0.0, 1.5, 3.0])
    assert phase.late == 2


async def test_paced_cap_stops_early() -> None:
    time = VirtualTime()
    endpoint = Recorder(time, latency=0.01)
    schedule = PacedSchedule(users=5, interval=1.0, duration=100.0)
    await drive(
        time,
        run_paced(
            endpoint,
            ConversationMix("t"),
            schedule,
            max_messages=7,
            clock=time.clock,
            sleep=time.sleep,
        ),
    )
    assert len(endpoint.sent) == 7


async def test_conversations_follow_their_script_under_one_sender_each() -> None:
    time = VirtualTime()
    endpoint = Recorder(time, latency=0.01)
    await drive(
        time,
        run_paced(
            endpoint,
            ConversationMix("t"),
            PacedSchedule(users=3, interval=1.0, duration=12.0),
            clock=time.clock,
            sleep=time.sleep,
        ),
    )
    by_sender: dict[str, list[str]] = {}
    for _, sender, text in endpoint.sent:
        by_sender.setdefault(sender, []).append(text)
    scripts = {s.messages for s in SCRIPTS}
    for texts in by_sender.values():
        assert any(messages[: len(texts)] == tuple(texts) for messages in scripts), texts
    assert len(by_sender) > 3


async def test_saturation_sends_back_to_back_until_the_cap() -> None:
    time = VirtualTime()
    endpoint = Recorder(time, latency=0.1)

    async def saturate() -> Phase:
        return await run_saturation(
            endpoint, ConversationMix("t"), concurrency=3, max_messages=30, clock=time.clock
        )

    phase = await drive(time, saturate())
    assert len(endpoint.sent) == 30
    assert phase.elapsed == pytest.approx(1.0)
    with pytest.raises(ValueError):
        await run_saturation(endpoint, ConversationMix("t"), concurrency=1)


def test_mix_rotates_scripts_under_new_senders_and_can_leave_out_buttons() -> None:
    mix = ConversationMix("run", text_only=True)
    conversations = [mix.next() for _ in range(2 * len(SCRIPTS))]
    assert len({c.sender for c in conversations}) == len(conversations)
    assert all(c.script.text_only for c in conversations)
    assert {c.script.language for c in conversations} == {"de", "en"}
    with pytest.raises(ValueError):
        ConversationMix("x", [Script("button", "de", ("/affirm",))], text_only=True)


def test_the_script_covers_the_traffic_the_issue_names() -> None:
    texts = [m for s in SCRIPTS for m in s.messages]
    for needed in ("Wie viele Punkte habe ich?", "NL-100234", "12.04.1988"):
        assert needed in texts
    assert "Ich möchte mit einem Menschen sprechen" in texts
    assert any(m.startswith("/choose_reward") for m in texts)
    # A request for a person ends its conversation: the gateway stops asking the assistant.
    for script in SCRIPTS:
        if script.name.startswith("handoff"):
            assert script.messages[-1] in (
                "Ich möchte mit einem Menschen sprechen",
                "Connect me to an agent, please",
            )
