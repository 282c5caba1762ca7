"""Runs the whole benchmark (`python -m bot bench`) and assembles the report's content.

Starts the embedded stack (with fake Telegram/Twilio providers) or takes the
deployment's URLs, measures the phases (bot/bench/phases.py) while the stack's
memory is watched, and judges the targets.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bot.bench import machine, memory, phases, report
from bot.bench.channels import fake_providers
from bot.bench.embedded import StackError, embedded_stack
from bot.bench.endpoints import RestEndpoint, apology_texts
from bot.bench.phases import BenchAborted, Setup
from bot.bench.script import SCRIPTS
from bot.bench.settings import BenchSettings, split_urls
from bot.bench.stats import Summary, ratios
from bot.bench.targets import Results, all_met, evaluate

logger = logging.getLogger("bench")


def main(settings: BenchSettings, project: Path) -> int:
    """`python -m bot bench`; exit code 0: no target missed, 1: one missed, 2: could not run."""
    report_dir = (
        settings.report_dir if settings.report_dir.is_absolute() else project / settings.report_dir
    )
    try:
        if settings.external:
            setup = Setup(
                "external",
                split_urls(settings.gateway_url or ""),
                split_urls(settings.rasa_url or ""),
                _deployment_pids(settings),
            )
            result = asyncio.run(bench(settings, project, setup))
        else:
            with contextlib.ExitStack() as stack:
                providers = (
                    stack.enter_context(fake_providers()) if settings.channel_seconds > 0 else None
                )
                running = stack.enter_context(
                    embedded_stack(
                        project,
                        startup_timeout=settings.startup_timeout_seconds,
                        extra_env=providers.env if providers else None,
                    )
                )
                setup = Setup(
                    "embedded",
                    [running.gateway_url],
                    [running.rasa_url],
                    memory.pid_files(running.run_dir),
                    providers,
                )
                result = asyncio.run(bench(settings, project, setup))
                report_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(running.log, report_dir / "stack.log")
    except (StackError, BenchAborted) as error:
        logger.error("No benchmark: %s", error)
        return 2
    summary = report.write(result, report_dir)
    print(summary)
    logger.info("Report written to %s (report.json, summary.md)", report_dir)
    return 0 if result["all_met"] else 1


def _deployment_pids(settings: BenchSettings) -> memory.PidSource | None:
    """A deployment's processes: its pid files, or the pids given; None leaves memory out."""
    if settings.pid_dir is not None:
        return memory.pid_files(settings.pid_dir)
    pids = settings.pid_map()
    return memory.fixed_pids(pids) if pids else None


def _client(settings: BenchSettings) -> httpx.AsyncClient:
    most = max([settings.paced_users, settings.leak_concurrency, *settings.levels()]) + 10
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.timeout_seconds, connect=5.0),
        limits=httpx.Limits(max_connections=most, max_keepalive_connections=most),
    )


async def bench(settings: BenchSettings, project: Path, setup: Setup) -> dict[str, Any]:
    """Measure everything and return the report's content."""
    run_id = uuid.uuid4().hex[:8]
    started, clock = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    host = machine.describe(project)
    token = settings.gateway_token.get_secret_value() if settings.gateway_token else None
    async with _client(settings) as gateway_http, _client(settings) as rasa_http:
        gateway = RestEndpoint(
            gateway_http,
            setup.gateway_urls,
            name="gateway",
            via_gateway=True,
            token=token,
            apologies=apology_texts(project / "domain"),
        )
        rasa = RestEndpoint(rasa_http, setup.rasa_urls, name="rasa", via_gateway=False)
        health = await _health(gateway_http, setup.gateway_urls[0])
        snapshots: list[memory.Snapshot] = []
        monitor = memory.PeakMonitor(setup.pids) if setup.pids else None

        def take(label: str) -> None:
            if setup.pids:
                snapshots.append(memory.snapshot(label, setup.pids))
                if monitor:
                    monitor.observe(snapshots[-1])

        take("start")
        with monitor.running() if monitor else contextlib.nullcontext():
            warmup = await phases.warm_up(settings, run_id, (gateway, rasa))
            take("after_warmup")
            paced = await phases.paced(settings, run_id, gateway, rasa, setup.pids)
            saturation = await phases.saturation(settings, run_id, gateway, rasa, setup.pids)
            channels = await phases.channels(settings, run_id, setup, gateway_http)
            take("before_leak")
            leak = await phases.long_run(settings, run_id, gateway)
            take("after_leak")
    growth = None
    if leak is not None and len(snapshots) >= 2:
        growth = memory.growth(snapshots[-2], snapshots[-1])
    restarted = memory.restarted(snapshots[0], snapshots[-1]) if snapshots else None
    results = Results(
        paced_gateway=paced["gateway"],
        paced_rasa=paced["rasa"],
        saturation={level: (s["gateway"], s["rasa"]) for level, s in saturation.items()},
        peak_stack_bytes=monitor.peak_total_bytes if monitor else None,
        growth_percent=growth,
        acks={name: channels.get(name) for name in ("telegram", "twilio")},
    )
    targets = evaluate(results, saturation_min=settings.saturation_min_ratio)
    return {
        "run_id": run_id,
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - clock, 1),
        "mode": setup.mode,
        "urls": {"gateway": setup.gateway_urls, "rasa": setup.rasa_urls},
        "rasa_status": (health or {}).get("rasa", {}).get("detail"),
        "machine": {**host, "load_average_at_end": machine.load_average()},
        "settings": settings.model_dump(mode="json", exclude={"gateway_token"}),
        "scripts": [
            {"name": s.name, "language": s.language, "messages": len(s.messages)} for s in SCRIPTS
        ],
        "warmup": {name: s.as_dict() for name, s in warmup.items()},
        "paced": {
            "users": settings.paced_users,
            "interval_s": settings.paced_interval_seconds,
            "offered_rate": settings.paced_users / settings.paced_interval_seconds,
            **_pair(paced),
        },
        "saturation": {str(level): _pair(pair) for level, pair in saturation.items()},
        "channels": {
            "measured": setup.providers is not None and settings.channel_seconds > 0,
            **{name: s.as_dict() for name, s in channels.items() if isinstance(s, Summary)},
            "delivered": channels.get("delivered"),
        },
        "leak": {
            "messages": settings.leak_messages,
            "concurrency": settings.leak_concurrency,
            "summary": leak.as_dict() if leak else None,
            "growth_percent": growth,
            "restarted": restarted,
        },
        "memory": {
            "measured": setup.pids is not None,
            "snapshots": [s.as_dict() for s in snapshots],
            "peak_total_bytes": monitor.peak_total_bytes if monitor else None,
            "peak_bytes": monitor.peak_bytes if monitor else None,
        },
        "notes": _notes(settings, saturation),
        "targets": [t.as_dict() for t in targets],
        "all_met": all_met(targets),
    }


def _notes(settings: BenchSettings, saturation: dict[int, dict[str, Summary]]) -> list[str]:
    """What a reader needs to judge the figures that the figures do not say themselves."""
    notes = []
    offered = settings.paced_users / settings.paced_interval_seconds
    capacity = max((s["rasa"].throughput for s in saturation.values()), default=0.0)
    if capacity and offered >= 0.9 * capacity:
        notes.append(
            f"The paced load ({offered:g} msg/s) is at least 90 % of what bare Rasa managed at "
            f"saturation ({capacity:.1f} msg/s) on this machine: paced latencies are mostly "
            "queueing, so the paced targets say more about the machine than about the gateway."
        )
    return notes


def _pair(pair: dict[str, Summary]) -> dict[str, Any]:
    return {
        "gateway": pair["gateway"].as_dict(),
        "rasa": pair["rasa"].as_dict(),
        "ratios": ratios(pair["gateway"], pair["rasa"]),
    }


async def _health(http: httpx.AsyncClient, gateway_url: str) -> dict[str, Any] | None:
    try:
        response = await http.get(f"{gateway_url}/health", timeout=10)
        body: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError):
        logger.warning("The gateway's /health did not answer; measuring anyway")
        return None
    if response.status_code != 200:
        logger.warning("The gateway reports itself unhealthy: %s", body)
    return body
