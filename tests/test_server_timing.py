"""The Server-Timing header: spans gathered per request, written and read in the header's syntax."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot import server_timing


def test_spans_are_gathered_in_order_and_repeated_names_add_up() -> None:
    with server_timing.collect() as spans:
        with server_timing.span("store"):
            time.sleep(0.01)
        with server_timing.span("assistant"):
            time.sleep(0.02)
        server_timing.record("store", time.perf_counter() - 0.005)
    assert list(spans) == ["store", "assistant"]
    assert spans["store"] >= 15.0
    assert spans["assistant"] >= 20.0


def test_nothing_is_kept_outside_a_request() -> None:
    with server_timing.collect() as spans:
        pass
    with server_timing.span("assistant"):
        pass
    assert spans == {}


async def test_concurrent_requests_keep_their_own_spans() -> None:
    async def request(name: str, pause: float) -> dict[str, float]:
        with server_timing.collect() as spans, server_timing.span(name):
            await asyncio.sleep(pause)
        return spans

    slow, fast = await asyncio.gather(request("slow", 0.05), request("fast", 0.0))
    assert list(slow) == ["slow"] and list(fast) == ["fast"]
    assert slow["slow"] >= 45.0 > fast["fast"]


def test_header_value_round_trips_and_foreign_entries_are_read_or_skipped() -> None:
    value = server_timing.header_value({"store": 1.234, "assistant": 61.0})
    assert value == "store;dur=1.2, assistant;dur=61.0"
    assert server_timing.parse(value) == {"store": 1.2, "assistant": 61.0}
    foreign = 'cache;desc="Cache Read";dur=23.2, miss, db;dur="53", app;dur=fast, ;dur=3'
    assert server_timing.parse(foreign) == {"cache": 23.2, "db": 53.0}
    assert server_timing.parse("") == {}


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("total;DUR=5", {"total": 5.0}), ("total ; dur = 5", {"total": 5.0}), ("total;dur=", {})],
)
def test_parse_is_lenient_about_spacing_and_case(value: str, parsed: dict[str, float]) -> None:
    assert server_timing.parse(value) == parsed
