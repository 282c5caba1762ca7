"""Which of the issue's performance targets a benchmark run met, missed or did not measure."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.bench.stats import Summary
from bot.bench.targets import Results, all_met, evaluate, overhead


def summary(
    p50: float | None = 100, p95: float | None = 140, throughput: float = 10, errors: int = 0
) -> Summary:
    return Summary(
        messages=100,
        ok=100 - errors,
        errors={"http_error": errors} if errors else {},
        elapsed_s=10,
        throughput=throughput,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=None if p95 is None else p95 + 10,
        mean_ms=p50,
        max_ms=p95,
    )


GOOD = Results(
    paced_gateway=summary(p50=105, p95=140),
    paced_rasa=summary(p50=100, p95=130),
    saturation={1: (summary(throughput=9.5), summary(throughput=10))},
    peak_stack_bytes=1_200_000_000,
    growth_percent={"rasa": 1.0, "gateway": 4.9, "actions": -2.0},
    acks={"telegram": summary(p50=5, p95=20), "twilio": summary(p50=5, p95=30)},
)


def results(**changes: Any) -> Results:
    return replace(GOOD, **changes)


def by_name(r: Results) -> dict[str, str]:
    return {t.name: t.status for t in evaluate(r)}


def test_a_good_run_meets_every_target() -> None:
    statuses = by_name(results())
    assert set(statuses.values()) == {"met"}
    assert len(statuses) == 8
    assert all_met(evaluate(results()))


def test_overhead_is_gateway_over_rasa_minus_one_and_ten_percent_still_meets() -> None:
    assert overhead(110, 100) == 0.1
    statuses = by_name(results(paced_gateway=summary(p50=110, p95=144)))
    assert statuses["paced_overhead_p50"] == "met"
    assert statuses["paced_overhead_p95"] == "missed"  # 144 / 130 is +10.8 %


def test_each_limit_is_checked() -> None:
    statuses = by_name(
        results(
            paced_gateway=summary(p50=150, p95=151),
            saturation={
                1: (summary(throughput=10), summary(throughput=10)),
                50: (summary(throughput=8), summary(throughput=10)),
            },
            peak_stack_bytes=1_600_000_001,
            growth_percent={"rasa": 5.1, "gateway": 0.0},
            acks={"telegram": summary(p95=41), "twilio": summary(p95=20, errors=1)},
        )
    )
    assert statuses == {
        "paced_gateway_p95": "missed",
        "paced_overhead_p50": "missed",
        "paced_overhead_p95": "missed",
        "saturation_throughput": "missed",
        "stack_rss": "missed",
        "memory_growth": "missed",
        "telegram_ack_p99": "missed",  # p99 = 51 ms
        "twilio_ack_p99": "missed",  # fast, but one webhook was refused
    }


def test_missing_data_is_not_measured_and_does_not_fail_the_run() -> None:
    r = results(
        paced_rasa=summary(p50=None, p95=None),
        peak_stack_bytes=None,
        growth_percent={"rasa": None, "gateway": 1.0},
        acks={"telegram": None, "twilio": None},
    )
    statuses = by_name(r)
    assert statuses["paced_gateway_p95"] == "met"
    for name in ("paced_overhead_p50", "stack_rss", "memory_growth", "telegram_ack_p99"):
        assert statuses[name] == "not measured", name
    assert all_met(evaluate(r))
    assert not all_met(evaluate(results(peak_stack_bytes=2_000_000_000)))


def test_prod_local_is_held_to_its_own_saturation_ratio() -> None:
    doubled = results(saturation={10: (summary(throughput=17), summary(throughput=10))})
    [default] = [t for t in evaluate(doubled) if t.name == "saturation_throughput"]
    [strict] = [
        t for t in evaluate(doubled, saturation_min=1.6) if t.name == "saturation_throughput"
    ]
    assert (default.status, strict.status) == ("met", "met")
    short = results(saturation={10: (summary(throughput=15), summary(throughput=10))})
    [missed] = [t for t in evaluate(short, saturation_min=1.6) if t.name == "saturation_throughput"]
    assert missed.status == "missed" and "1.6×" in missed.goal
