"""Latency percentiles, throughput and error counts of one measured phase."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.bench.cpu import Usage
from bot.bench.endpoints import ERROR_OUTCOMES, Outcome

SLOWEST = 5


@dataclass(frozen=True)
class Sample:
    sent_at: float
    """Clock reading when the message was sent (seconds; the driver's clock)."""
    latency: float
    """Seconds until the answer (or the failure) arrived."""
    outcome: Outcome
    label: str = ""
    """Which message it was (script and text), to name the slowest ones."""
    timing: dict[str, float] = field(default_factory=dict)
    """The gateway's Server-Timing parts in ms, when the path sends them."""


@dataclass
class Phase:
    """Samples of one path in one mode, gathered over one or more rounds."""

    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0
    """Wall time of the rounds: first send to last answer, summed over rounds."""
    late: int = 0
    """Paced messages sent noticeably after their planned time (the previous reply was slow)."""
    cpu: Usage = field(default_factory=Usage)
    """CPU the machine and the stack's processes spent during the rounds."""

    def add(self, other: Phase) -> None:
        """Fold another round into this one."""
        self.samples.extend(other.samples)
        self.elapsed += other.elapsed
        self.late += other.late
        self.cpu.fold(other.cpu)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), linear between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    messages: int
    ok: int
    errors: dict[str, int]
    """Failed messages by kind (non-200, timeout, transport, empty reply, gateway apology)."""
    elapsed_s: float
    throughput: float
    """Answered messages per second of wall time."""
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    mean_ms: float | None
    max_ms: float | None
    late: int = 0
    parts_ms: dict[str, dict[str, float]] | None = None
    """Gateway only: percentiles of each part of the latency, and the parts' means over the
    slowest 5 % of messages (`tail`), which say what a slow reply was slow in."""
    slowest: list[dict[str, Any]] = field(default_factory=list)
    """The slowest answered messages: which, how slow, when (s after the first), parts."""
    cpu: dict[str, Any] | None = None
    """CPU ms per answered message by process, and how busy the machine was (bench/cpu.py)."""

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "error_count": self.error_count}


def summarise(phase: Phase) -> Summary:
    """Latency of the answered messages; failures are counted, not timed."""
    kinds = Counter(s.outcome for s in phase.samples)
    latencies = [s.latency * 1000 for s in phase.samples if s.outcome == "ok"]
    ok = len(latencies)

    def pct(q: float) -> float | None:
        return round(percentile(latencies, q), 2) if latencies else None

    return Summary(
        messages=len(phase.samples),
        ok=ok,
        errors={kind: kinds[kind] for kind in ERROR_OUTCOMES if kinds[kind]},
        elapsed_s=round(phase.elapsed, 3),
        throughput=round(ok / phase.elapsed, 3) if phase.elapsed > 0 else 0.0,
        p50_ms=pct(50),
        p95_ms=pct(95),
        p99_ms=pct(99),
        mean_ms=round(sum(latencies) / ok, 2) if ok else None,
        max_ms=round(max(latencies), 2) if ok else None,
        late=phase.late,
        parts_ms=_parts(phase.samples),
        slowest=_slowest(phase.samples),
        cpu=phase.cpu.per_message(ok),
    )


def _latency_parts(sample: Sample) -> dict[str, float]:
    """The assistant's time, the gateway's own (storing, turn, saving) and what is outside
    the gateway's handler (HTTP, waiting for its event loop); ms."""
    total = sample.timing["total"]
    assistant = sample.timing.get("assistant", 0.0)
    return {
        "assistant": assistant,
        "gateway": total - assistant,
        "outside": sample.latency * 1000 - total,
    }


def _parts(samples: Sequence[Sample]) -> dict[str, dict[str, float]] | None:
    timed = [s for s in samples if s.outcome == "ok" and "total" in s.timing]
    if not timed:
        return None
    parts = [_latency_parts(s) for s in timed]
    cutoff = percentile([s.latency for s in timed], 95)
    tail = [p for s, p in zip(timed, parts, strict=True) if s.latency >= cutoff]
    result: dict[str, dict[str, float]] = {}
    for name in parts[0]:
        values = [p[name] for p in parts]
        result[name] = {f"p{q}": round(percentile(values, q), 2) for q in (50, 95, 99)}
        result[name]["tail"] = round(sum(p[name] for p in tail) / len(tail), 2)
    return result


def _slowest(samples: Sequence[Sample]) -> list[dict[str, Any]]:
    answered = [s for s in samples if s.outcome == "ok"]
    if not answered:
        return []
    first = min(s.sent_at for s in answered)
    return [
        {
            "message": s.label,
            "latency_ms": round(s.latency * 1000, 1),
            "at_s": round(s.sent_at - first, 1),
            **{name: round(ms, 1) for name, ms in s.timing.items()},
        }
        for s in sorted(answered, key=lambda s: s.latency, reverse=True)[:SLOWEST]
    ]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(numerator / denominator, 4)


def ratios(gateway: Summary, rasa: Summary) -> dict[str, float | None]:
    """Gateway over bare Rasa: latency percentiles (>1 is overhead) and throughput (<1 is loss)."""
    return {
        "p50": ratio(gateway.p50_ms, rasa.p50_ms),
        "p95": ratio(gateway.p95_ms, rasa.p95_ms),
        "p99": ratio(gateway.p99_ms, rasa.p99_ms),
        "throughput": ratio(gateway.throughput, rasa.throughput),
    }


def total_errors(summaries: Iterable[Summary]) -> int:
    return sum(s.error_count for s in summaries)
