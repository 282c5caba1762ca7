"""The measured phases: warm-up, paced and saturation rounds, channel webhooks, the long run.

Gateway and bare Rasa take turns in ABBA order (G R, R G, ...), so a machine
that gets slower or faster during the run (another job, thermal limits)
affects both paths alike and the ratios stay fair.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bot.bench import cpu, memory
from bot.bench.channels import (
    PUBLIC_BASE_URL,
    TELEGRAM_SECRET,
    FakeProviders,
    TelegramEndpoint,
    TwilioEndpoint,
)
from bot.bench.endpoints import Endpoint
from bot.bench.load import PacedSchedule, run_paced, run_saturation
from bot.bench.script import SCRIPTS, ConversationMix
from bot.bench.settings import BenchSettings
from bot.bench.stats import Phase, Summary, summarise

logger = logging.getLogger("bench")
DELIVERY_WAIT_SECONDS = 60.0
SETTLE_SECONDS = 1.0
"""Pause between two measured runs, so one run's stragglers do not slow the next."""


class BenchAborted(RuntimeError):
    """A path does not answer at all; measuring it would only count errors."""


@dataclass(frozen=True)
class Setup:
    """What is measured: the URLs, where the pids come from, the fake providers (embedded)."""

    mode: str
    gateway_urls: list[str]
    rasa_urls: list[str]
    pids: memory.PidSource | None
    providers: FakeProviders | None = None


async def warm_up(
    settings: BenchSettings, run_id: str, endpoints: tuple[Endpoint, Endpoint]
) -> dict[str, Summary]:
    """Every script once per path, not counted; a path that never answers stops the bench."""
    result: dict[str, Summary] = {}
    if not settings.warmup:
        return result
    for endpoint in endpoints:
        mix = ConversationMix(f"bench-{run_id}-{endpoint.name[0]}-warm")
        phase = await run_saturation(endpoint, mix, concurrency=1, max_messages=_script_messages())
        result[endpoint.name] = summary = summarise(phase)
        logger.info("Warm-up %s: %s", endpoint.name, _line(summary))
        if summary.ok == 0:
            raise BenchAborted(f"{endpoint.name} answered none of the warm-up messages")
    return result


def _script_messages() -> int:
    return sum(len(s.messages) for s in SCRIPTS)


async def _interleaved(
    endpoints: tuple[Endpoint, Endpoint],
    rounds: int,
    run: Callable[[Endpoint, int], Awaitable[Phase]],
    pids: memory.PidSource | None,
) -> dict[str, Summary]:
    """Each path runs `rounds` times, in ABBA order; rounds are pooled per path, with the
    CPU the machine spent during each."""
    phases = {endpoint.name: Phase() for endpoint in endpoints}
    for round_ in range(rounds):
        order = endpoints if round_ % 2 == 0 else endpoints[::-1]
        for endpoint in order:
            before = cpu.read(pids)
            phase = await run(endpoint, round_)
            phase.cpu.add(before, cpu.read(pids))
            phases[endpoint.name].add(phase)
            await asyncio.sleep(SETTLE_SECONDS)
    return {name: summarise(phase) for name, phase in phases.items()}


async def paced(
    settings: BenchSettings,
    run_id: str,
    gateway: Endpoint,
    rasa: Endpoint,
    pids: memory.PidSource | None,
) -> dict[str, Summary]:
    schedule = PacedSchedule(
        settings.paced_users,
        settings.paced_interval_seconds,
        settings.paced_seconds / settings.rounds,
    )
    cap = settings.paced_messages // settings.rounds if settings.paced_messages else None
    logger.info(
        "Paced: %d conversations, one message every %.1f s each (%.1f msg/s offered), "
        "%.0f s per path in %d rounds",
        schedule.users,
        schedule.interval,
        schedule.offered_rate,
        settings.paced_seconds,
        settings.rounds,
    )

    async def run(endpoint: Endpoint, round_: int) -> Phase:
        mix = ConversationMix(f"bench-{run_id}-{endpoint.name[0]}-paced{round_}")
        return await run_paced(endpoint, mix, schedule, max_messages=cap)

    result = await _interleaved((gateway, rasa), settings.rounds, run, pids)
    for name, summary in result.items():
        logger.info("Paced %s: %s", name, _line(summary))
    return result


async def saturation(
    settings: BenchSettings,
    run_id: str,
    gateway: Endpoint,
    rasa: Endpoint,
    pids: memory.PidSource | None,
) -> dict[int, dict[str, Summary]]:
    result: dict[int, dict[str, Summary]] = {}
    for level in settings.levels():
        logger.info(
            "Saturation: %d conversation(s) back to back, %.0f s per path",
            level,
            settings.saturation_seconds,
        )

        async def run(endpoint: Endpoint, round_: int, level: int = level) -> Phase:
            mix = ConversationMix(f"bench-{run_id}-{endpoint.name[0]}-sat{level}-{round_}")
            duration = settings.saturation_seconds / settings.rounds
            return await run_saturation(endpoint, mix, concurrency=level, duration=duration)

        result[level] = await _interleaved((gateway, rasa), settings.rounds, run, pids)
        for name, summary in result[level].items():
            logger.info("Saturation %d %s: %s", level, name, _line(summary))
    return result


async def channels(
    settings: BenchSettings, run_id: str, setup: Setup, http: httpx.AsyncClient
) -> dict[str, Any]:
    """Telegram and Twilio updates side by side, paced; the gateway's 200 is what is timed."""
    providers = setup.providers
    if providers is None or settings.channel_seconds <= 0:
        if setup.mode == "external":
            logger.info("Channels: not measured (needs the embedded stack with fake providers)")
        return {}
    base = setup.gateway_urls[0]
    endpoints: list[Endpoint] = [
        TelegramEndpoint(http, base, secret=TELEGRAM_SECRET),
        TwilioEndpoint(
            http,
            base,
            account_sid=providers.twilio_account_sid,
            auth_token=providers.twilio_auth_token,
            shop_number=providers.twilio_from,
            public_base_url=PUBLIC_BASE_URL,
        ),
    ]
    schedule = PacedSchedule(
        settings.channel_users, settings.paced_interval_seconds, settings.channel_seconds
    )
    logger.info(
        "Channels: Telegram and WhatsApp, %d conversations each, %.1f msg/s each, %.0f s",
        schedule.users,
        schedule.offered_rate,
        schedule.duration,
    )
    before = providers.delivered()
    phases = await asyncio.gather(
        *(
            run_paced(e, ConversationMix(f"bench-{run_id}-{e.name}", text_only=True), schedule)
            for e in endpoints
        )
    )
    result: dict[str, Any] = {e.name: summarise(p) for e, p in zip(endpoints, phases, strict=True)}
    acked = {name: s.ok for name, s in result.items()}
    result["delivered"] = await _deliveries(providers, before, acked)
    for endpoint in endpoints:
        logger.info("Channel %s acknowledgement: %s", endpoint.name, _line(result[endpoint.name]))
    logger.info("Replies delivered to the fake providers: %s", result["delivered"])
    return result


async def _deliveries(
    providers: FakeProviders, before: dict[str, int], acked: dict[str, int]
) -> dict[str, int]:
    """Wait (a while) until every acknowledged message got at least one reply out."""
    deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
    while True:
        now = providers.delivered()
        done = {name: now[name] - before.get(name, 0) for name in acked}
        if all(done[n] >= acked[n] for n in acked) or time.monotonic() > deadline:
            return done
        await asyncio.sleep(0.5)


async def long_run(settings: BenchSettings, run_id: str, gateway: Endpoint) -> Summary | None:
    if settings.leak_messages <= 0:
        return None
    logger.info(
        "Long run: %d messages through the gateway, %d conversations at a time",
        settings.leak_messages,
        settings.leak_concurrency,
    )
    phase = await run_saturation(
        gateway,
        ConversationMix(f"bench-{run_id}-g-long"),
        concurrency=settings.leak_concurrency,
        max_messages=settings.leak_messages,
    )
    summary = summarise(phase)
    logger.info("Long run: %s", _line(summary))
    return summary


def _line(s: Summary) -> str:
    latency = (
        "–"
        if s.p50_ms is None
        else f"p50 {s.p50_ms:.0f} / p95 {s.p95_ms:.0f} / p99 {s.p99_ms:.0f} ms"
    )
    return f"{s.messages} msgs, {s.throughput:.1f} msg/s, {latency}, {s.error_count} errors"
