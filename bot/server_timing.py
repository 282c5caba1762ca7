"""Where the gateway spent a request's time, sent back in a `Server-Timing` header (W3C).

A browser's developer tools show the parts next to the request, and the load
benchmark uses them to tell the gateway's own time from the assistant's, so a
slow reply can be pinned on the part that was slow.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "Server-Timing"

_spans: ContextVar[dict[str, float] | None] = ContextVar("server_timing", default=None)


@contextmanager
def collect() -> Iterator[dict[str, float]]:
    """Gather the spans recorded while the block runs (milliseconds by name, in order)."""
    spans: dict[str, float] = {}
    token = _spans.set(spans)
    try:
        yield spans
    finally:
        _spans.reset(token)


def record(name: str, started: float) -> None:
    """Add the time since `started` (a `time.perf_counter()` reading) to the span `name`.

    Outside `collect()` (a webhook answered in the background) nothing is kept.
    """
    spans = _spans.get()
    if spans is not None:
        spans[name] = spans.get(name, 0.0) + (time.perf_counter() - started) * 1000


@contextmanager
def span(name: str) -> Iterator[None]:
    """Time the block as the span `name`."""
    started = time.perf_counter()
    try:
        yield
    finally:
        record(name, started)


def header_value(spans: dict[str, float]) -> str:
    """`store;dur=1.2, assistant;dur=61.0`: the header's syntax, durations in ms."""
    return ", ".join(f"{name};dur={ms:.1f}" for name, ms in spans.items())


def parse(value: str) -> dict[str, float]:
    """The durations of a `Server-Timing` value by name; entries without `dur` are skipped."""
    result: dict[str, float] = {}
    for entry in value.split(","):
        name, *params = (part.strip() for part in entry.split(";"))
        for param in params:
            key, _, number = param.partition("=")
            if name and key.strip().lower() == "dur":
                try:
                    result[name] = float(number.strip().strip('"'))
                except ValueError:
                    continue
    return result
