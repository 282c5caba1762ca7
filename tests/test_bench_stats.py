"""Percentiles, summaries and gateway/Rasa ratios of the load benchmark."""

from __future__ import annotations

import pytest

from bot.bench.stats import Phase, Sample, percentile, ratio, ratios, summarise


def test_percentile_interpolates_linearly_between_closest_ranks_like_numpy() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([4, 1, 3, 2], 0) == 1
    assert percentile([4, 1, 3, 2], 100) == 4
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0


def test_percentile_refuses_no_values_and_out_of_range_quantiles() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summary_times_answered_messages_and_counts_failures_by_kind() -> None:
    samples = [Sample(i, 0.1 * (i + 1), "ok") for i in range(4)]
    samples += [Sample(9, 30.0, "timeout"), Sample(9, 0.001, "apology"), Sample(9, 0.2, "empty")]
    summary = summarise(Phase(samples, elapsed=2.0, late=1))
    assert (summary.messages, summary.ok, summary.error_count) == (7, 4, 3)
    assert summary.errors == {"timeout": 1, "empty": 1, "apology": 1}
    assert summary.p50_ms == pytest.approx(250.0)
    assert summary.max_ms == pytest.approx(400.0)
    assert summary.throughput == 2.0
    assert summary.late == 1


def test_summary_of_nothing_answered_has_no_latency() -> None:
    summary = summarise(Phase([Sample(0, 1.0, "http_error")], elapsed=1.0))
    assert summary.p95_ms is None and summary.throughput == 0.0
    assert summarise(Phase()).throughput == 0.0


def test_rounds_pool_their_samples_and_wall_time() -> None:
    first = Phase([Sample(0, 0.1, "ok")], elapsed=1.0, late=1)
    first.add(Phase([Sample(0, 0.3, "ok")], elapsed=3.0, late=2))
    assert (len(first.samples), first.elapsed, first.late) == (2, 4.0, 3)


def test_ratios_are_gateway_over_rasa_and_none_without_data() -> None:
    gateway = summarise(Phase([Sample(0, 0.11, "ok")], elapsed=1.0))
    rasa = summarise(Phase([Sample(0, 0.10, "ok"), Sample(0, 0.10, "ok")], elapsed=1.0))
    result = ratios(gateway, rasa)
    assert result["p50"] == pytest.approx(1.1)
    assert result["throughput"] == 0.5
    assert ratio(None, 1.0) is None and ratio(1.0, 0.0) is None


def test_gateway_latency_is_split_into_assistant_own_and_outside_time() -> None:
    samples = [
        Sample(i, 0.1, "ok", f"faq: q{i}", {"assistant": 80.0, "total": 90.0}) for i in range(19)
    ]
    samples.append(
        Sample(19, 0.5, "ok", "balance: NL-100234", {"assistant": 100.0, "total": 480.0})
    )
    samples.append(Sample(20, 9.0, "timeout", "faq: lost"))
    summary = summarise(Phase(samples, elapsed=10.0))

    parts = summary.parts_ms
    assert parts is not None
    assert parts["assistant"]["p50"] == pytest.approx(80.0)
    assert parts["gateway"]["p50"] == pytest.approx(10.0)
    assert parts["outside"]["p50"] == pytest.approx(10.0)
    assert parts["gateway"]["tail"] == pytest.approx(380.0)
    assert parts["assistant"]["tail"] == pytest.approx(100.0)
    slowest = summary.slowest[0]
    assert (slowest["message"], slowest["latency_ms"], slowest["at_s"]) == (
        "balance: NL-100234",
        500.0,
        19.0,
    )
    assert (slowest["assistant"], slowest["total"]) == (100.0, 480.0)
    assert len(summary.slowest) == 5


def test_a_path_without_server_timing_has_slowest_messages_but_no_parts() -> None:
    summary = summarise(Phase([Sample(0, 0.2, "ok", "club: tiers")], elapsed=1.0))
    assert summary.parts_ms is None
    assert summary.slowest == [{"message": "club: tiers", "latency_ms": 200.0, "at_s": 0.0}]
