"""A whole (tiny) benchmark run against fake Rasa servers yields a complete report."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import JSONResponse, Response

from bot.bench import phases, run
from bot.bench.settings import BenchSettings
from bot.bench.stats import Phase, Sample, Summary, summarise
from bot.bench.targets import Target
from tests.fakes.rasa import FakeRasa, serve

PROJECT = Path(__file__).resolve().parent.parent


async def answer_at_once(body: dict[str, Any]) -> Response:
    return JSONResponse([{"recipient_id": body["sender"], "text": "ok"}])


async def answer_with_timing(body: dict[str, Any]) -> Response:
    """The gateway's REST reply carries its Server-Timing header."""
    return JSONResponse(
        [{"recipient_id": body["sender"], "text": "ok"}],
        headers={"Server-Timing": "store;dur=1.0, assistant;dur=2.0, total;dur=4.0"},
    )


@pytest.fixture
def fakes() -> Iterator[tuple[FakeRasa, str, FakeRasa, str]]:
    gateway, rasa = FakeRasa(handler=answer_with_timing), FakeRasa(handler=answer_at_once)
    with serve(gateway.app()) as gateway_url, serve(rasa.app()) as rasa_url:
        yield gateway, gateway_url, rasa, rasa_url


def test_a_short_run_against_fakes_writes_a_complete_report(
    fakes: tuple[FakeRasa, str, FakeRasa, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(phases, "SETTLE_SECONDS", 0.0)
    gateway, gateway_url, rasa, rasa_url = fakes
    settings = BenchSettings(
        gateway_url=gateway_url,
        rasa_url=rasa_url,
        paced_users=4,
        paced_interval_seconds=0.2,
        paced_seconds=0.4,
        saturation_levels="1,3",
        saturation_seconds=0.2,
        leak_messages=20,
        leak_concurrency=2,
        pids=f"bench={os.getpid()}",
        report_dir=tmp_path / "bench",
    )
    code = run.main(settings, PROJECT)

    report = json.loads((tmp_path / "bench" / "report.json").read_text())
    assert code == (0 if report["all_met"] else 1)
    for path in ("gateway", "rasa"):
        assert report["paced"][path]["messages"] == 8
        assert report["paced"][path]["ok"] == 8
        assert report["warmup"][path]["ok"] == sum(s["messages"] for s in report["scripts"])
        for level in ("1", "3"):
            assert report["saturation"][level][path]["ok"] > 0
    assert report["paced"]["ratios"]["p95"] is not None
    parts = report["paced"]["gateway"]["parts_ms"]
    assert (parts["assistant"]["p50"], parts["gateway"]["p50"]) == (2.0, 2.0)
    assert set(parts) == {"assistant", "gateway", "outside"}
    assert report["paced"]["rasa"]["parts_ms"] is None
    assert report["paced"]["rasa"]["slowest"][0]["latency_ms"] > 0
    assert report["saturation"]["3"]["ratios"]["throughput"] is not None
    cpu = report["saturation"]["3"]["gateway"]["cpu"]
    assert set(cpu["processes_ms"]) == {"bench", "bench client"}
    assert 0 <= cpu["machine_busy_percent"] <= 100
    assert cpu["busy_ms"] >= cpu["other_ms"] >= 0
    assert report["leak"]["summary"]["ok"] == 20
    assert set(report["leak"]["growth_percent"]) == {"bench"}
    assert [s["label"] for s in report["memory"]["snapshots"]] == [
        "start",
        "after_warmup",
        "before_leak",
        "after_leak",
    ]
    assert report["memory"]["peak_total_bytes"] > 0
    assert report["machine"]["cpu_count"] == os.cpu_count()
    assert "gateway_token" not in report["settings"]
    targets = {t["name"]: Target(**t) for t in report["targets"]}
    assert len(targets) == 8
    assert targets["telegram_ack_p99"].status == "not measured"  # external mode
    assert targets["paced_gateway_p95"].status == "met"
    assert len(list((tmp_path / "bench" / "history").glob("*.json"))) == 1

    summary = (tmp_path / "bench" / "summary.md").read_text()
    assert summary in capsys.readouterr().out
    assert "| paced | **gateway / Rasa** |" in summary and "saturation 3" in summary
    assert "| paced | assistant | 2.0 | 2.0 | 2.0 | 2.0 |" in summary
    assert "| saturation 3 | gateway | 2.0 |" in summary
    header = "| mode | path | bench | bench client | other | all | machine busy | ceiling msg/s |"
    assert header in summary

    # The gateway got website messages; Rasa got what the gateway would forward.
    assert not any(r["sender"].startswith("rest:") for r in gateway.requests)
    assert all(r["sender"].startswith("rest:") for r in rasa.requests)
    assert {r["input_channel"] for r in rasa.requests} == {"rest"}
    senders = {r["sender"] for r in gateway.requests} & {
        r["sender"].removeprefix("rest:") for r in rasa.requests
    }
    assert not senders  # every conversation has its own sender id


def test_a_path_that_never_answers_stops_the_run(tmp_path: Path) -> None:
    down = "http://127.0.0.1:9"  # discard port: nothing listens
    settings = BenchSettings(
        gateway_url=down, rasa_url=down, timeout_seconds=1, report_dir=tmp_path
    )
    assert run.main(settings, PROJECT) == 2
    assert not (tmp_path / "report.json").exists()


def test_paced_load_at_the_machines_capacity_is_pointed_out() -> None:
    def at(throughput: float) -> Summary:
        return summarise(Phase([Sample(0, 0.1, "ok")] * int(throughput * 10), elapsed=10.0))

    settings = BenchSettings(paced_users=50, paced_interval_seconds=5.0)
    slow = {10: {"gateway": at(9), "rasa": at(10.5)}}
    fast = {10: {"gateway": at(30), "rasa": at(40)}}
    [note] = run._notes(settings, slow)
    assert "10 msg/s" in note and "10.5 msg/s" in note
    assert run._notes(settings, fast) == []
