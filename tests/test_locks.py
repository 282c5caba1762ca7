"""Per-conversation locks serialise one key and are dropped when nobody needs them."""

from __future__ import annotations

import asyncio

from bot.locks import KeyedLocks


async def test_same_key_runs_one_at_a_time_and_other_keys_run_alongside() -> None:
    locks = KeyedLocks()
    running: dict[str, int] = {"a": 0, "b": 0}
    peak: dict[str, int] = {"a": 0, "b": 0}
    overlap = asyncio.Event()

    async def work(key: str) -> None:
        async with locks.hold(key):
            running[key] += 1
            peak[key] = max(peak[key], running[key])
            if running["a"] and running["b"]:
                overlap.set()
            await asyncio.sleep(0.01)
            running[key] -= 1

    await asyncio.gather(*(work(key) for key in "ababab"))

    assert peak == {"a": 1, "b": 1}
    assert overlap.is_set()


async def test_locks_do_not_accumulate() -> None:
    locks = KeyedLocks()
    for index in range(100):
        async with locks.hold(f"conversation-{index}"):
            assert len(locks) == 1
    assert len(locks) == 0
