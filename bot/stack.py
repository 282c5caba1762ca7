"""Runs the whole assistant in one terminal: action server, Rasa server and gateway.

Each process's output is prefixed with its name. A process that dies is
restarted after a pause (the others keep serving; the gateway apologises to
customers meanwhile). Ctrl-C or SIGTERM stops all three, gateway first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

import httpx

from bot import rasa_endpoints
from bot.health import gateway_ready
from bot.model import model_path
from bot.processes import ProcessSpec, process_specs, yield_cpu
from bot.settings import StackSettings

logger = logging.getLogger("stack")

COLOURS = {
    "actions": "\033[35m",
    "rasa": "\033[34m",
    "gateway": "\033[32m",
    "nginx": "\033[33m",
}
RESET = "\033[0m"
STOP_TIMEOUT_SECONDS = 15.0


class Stack:
    def __init__(self, specs: list[ProcessSpec], *, run_dir: Path, restart_delay: float) -> None:
        self._specs = specs
        self._run_dir = run_dir
        self._restart_delay = restart_delay
        self._stopping = asyncio.Event()
        self._colour = sys.stdout.isatty()

    def stop(self) -> None:
        """Ask every process to stop (called from the signal handlers)."""
        self._stopping.set()

    def run_until_stopped(self, *, health_url: str, ready_banner: str) -> None:
        """Run in the foreground until Ctrl-C or SIGTERM, then stop everything."""

        async def main() -> None:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, self.stop)
            await self.run(health_url=health_url, ready_banner=ready_banner)

        asyncio.run(main())

    async def run(self, *, health_url: str, ready_banner: str) -> None:
        """Start everything, announce readiness, and supervise until stopped."""
        self._run_dir.mkdir(parents=True, exist_ok=True)
        keepers = [asyncio.create_task(self._keep_running(spec)) for spec in self._specs]
        announcer = asyncio.create_task(self._announce_when_healthy(health_url, ready_banner))
        await self._stopping.wait()
        announcer.cancel()
        logger.info("Stopping %s ...", ", ".join(spec.name for spec in reversed(self._specs)))
        for spec in reversed(self._specs):
            await self._terminate(spec)
        await asyncio.gather(*keepers, return_exceptions=True)
        logger.info("All processes stopped.")

    async def _keep_running(self, spec: ProcessSpec) -> None:
        while not self._stopping.is_set():
            spec.process = await asyncio.create_subprocess_exec(
                *spec.argv,
                env=spec.env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
            yield_cpu(spec.process.pid, spec.nice)
            (self._run_dir / f"{spec.name}.pid").write_text(str(spec.process.pid))
            logger.info("Started %s (pid %s)", spec.name, spec.process.pid)
            await self._pump(spec.name, spec.process)
            code = await spec.process.wait()
            if self._stopping.is_set():
                return
            logger.error(
                "%s stopped unexpectedly (exit code %s); customers get an apology until it is "
                "back. Restarting it in %.0f s.",
                spec.name,
                code,
                self._restart_delay,
            )
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._restart_delay)

    async def _pump(self, name: str, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        prefix = f"{name:<10}| "
        if self._colour:
            prefix = f"{COLOURS.get(name.partition('-')[0], '')}{prefix}{RESET}"
        async for raw in process.stdout:
            sys.stdout.write(prefix + raw.decode(errors="replace"))
            sys.stdout.flush()

    async def _terminate(self, spec: ProcessSpec) -> None:
        process = spec.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
        except asyncio.TimeoutError:
            logger.warning(
                "%s did not stop within %.0f s; killing it", spec.name, STOP_TIMEOUT_SECONDS
            )
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        (self._run_dir / f"{spec.name}.pid").unlink(missing_ok=True)

    async def _announce_when_healthy(self, health_url: str, banner: str) -> None:
        waited = 0
        async with httpx.AsyncClient(timeout=5.0) as http:
            while True:
                await asyncio.sleep(1)
                waited += 1
                try:
                    response = await http.get(health_url)
                except httpx.HTTPError:
                    continue
                if gateway_ready(response):
                    logger.info("%s", banner)
                    return
                if waited % 30 == 0:
                    waiting = [
                        k
                        for k, v in response.json().items()
                        if isinstance(v, dict) and not v["ready"]
                    ]
                    logger.info(
                        "Still starting (%d s); waiting for: %s", waited, ", ".join(waiting)
                    )


def run_stack(project: Path) -> int:
    """Entry point of `python -m bot run`; returns the exit code."""
    settings = StackSettings()
    model = model_path(project)
    if not model.exists():
        logger.error(
            "No trained model for the current data (%s). Run `make model` first.", model.name
        )
        return 1
    token = (
        settings.rasa_token.get_secret_value() if settings.rasa_token else secrets.token_urlsafe(32)
    )
    try:
        rasa_endpoints.write_endpoints(
            project, settings.data_dir, settings.redis_url, settings.redis_key_prefix
        )
    except ValueError as error:
        logger.error("REDIS_URL cannot serve as Rasa's lock store: %s", error)
        return 1
    stack = Stack(
        process_specs(settings, project, model, token),
        run_dir=settings.data_dir / "run",
        restart_delay=settings.restart_delay_seconds,
    )
    base = f"http://{settings.host}:{settings.port}"
    banner = (
        "The assistant is ready.\n"
        f"    Demo page:     {base}/\n"
        f"    REST channel:  {base}/webhooks/rest/webhook\n"
        f"    Health:        {base}/health\n"
        f"    API docs:      {base}/docs\n"
        "    Press Ctrl-C to stop."
    )
    stack.run_until_stopped(health_url=f"{base}/health", ready_banner=banner)
    return 0
