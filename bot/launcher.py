"""Starts a throwaway stack (`python -m bot run` or `prod-local`) and stops it again.

The bench and the end-to-end and fault tests all need the same: a stack in its
own process group with its output in a log file, healthy before use, and every
process gone afterwards, even when the supervisor itself hangs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.health import gateway_ready

STOP_TIMEOUT_SECONDS = 60.0


class LaunchError(RuntimeError):
    """The stack exited early or did not become healthy; the message ends with its log."""


@dataclass(frozen=True)
class Launched:
    process: subprocess.Popen[bytes]
    log: Path
    run_dir: Path
    """Where the supervisor keeps one pid file per process it runs."""

    def pid(self, name: str) -> int:
        """The current pid of one of the stack's processes (e.g. `rasa-1`)."""
        return int((self.run_dir / f"{name}.pid").read_text())

    def wait_until_healthy(self, health_url: str, timeout: float) -> None:
        """Return once the gateway's `health_url` says ready; LaunchError when the stack exits
        or takes too long."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise LaunchError(f"the stack exited early:\n{self.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if gateway_ready(httpx.get(health_url, timeout=5)):
                    return
            time.sleep(1)
        raise LaunchError(f"the stack was not healthy after {timeout:.0f} s:\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        """The end of the stack's output, for error messages."""
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-chars:]
        return "(no log)"


def free_ports(count: int) -> list[int]:
    """Distinct loopback TCP ports nothing listens on right now. All are held until all are
    chosen: the system may hand out a port it just released again at once, and a stack
    whose gateway got the action server's port answered every customer with an error."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def free_port() -> int:
    """One loopback TCP port nothing listens on right now."""
    return free_ports(1)[0]


@contextlib.contextmanager
def launched(
    project: Path,
    command: str,
    env: dict[str, str],
    *,
    health_url: str,
    startup_timeout: float,
    data_dir: Path,
) -> Iterator[Launched]:
    """Run `python -m bot <command>` until the block ends; its output goes to data_dir/stack.log."""
    log = data_dir / "stack.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", command],
            cwd=project,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = Launched(process, log, data_dir / "run")
    try:
        stack.wait_until_healthy(health_url, startup_timeout)
        yield stack
    finally:
        stop(process, stack.run_dir)


def stop(process: subprocess.Popen[bytes], run_dir: Path) -> None:
    """SIGTERM lets the supervisor stop its processes; SIGKILL only if it hangs."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        # Each child runs in its own session (see bot/stack.py), so kill those groups too.
        for pid_file in run_dir.glob("*.pid"):
            with contextlib.suppress(OSError, ValueError):
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
