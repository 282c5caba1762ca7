"""Starts a throwaway stack for the bench: `python -m bot run` on a fresh SQLite database.

Own temp DATA_DIR, free loopback ports and a fixed RASA_TOKEN, so a bench never
touches the developer's `var/` or a running `make run`. It uses the trained
model for the current data and never trains (training would compete for the
CPU the bench measures); without a model it stops and says so.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.model import model_path

logger = logging.getLogger(__name__)

RASA_TOKEN = "nordlicht-bench-token"
"""Fixed: Rasa listens on loopback only, and a known token keeps runs comparable."""
STOP_TIMEOUT_SECONDS = 60.0


class StackError(RuntimeError):
    """The embedded stack could not be started (no model, unhealthy, exited)."""


@dataclass(frozen=True)
class EmbeddedStack:
    gateway_url: str
    rasa_url: str
    data_dir: Path
    log: Path

    @property
    def run_dir(self) -> Path:
        """Where `python -m bot run` keeps its pid files."""
        return self.data_dir / "run"


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stack_environment(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a bench stack: own data, free ports, fixed token, no outside config."""
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'nordlicht.sqlite'}",
        "PORT": str(free_port()),
        "RASA_PORT": str(free_port()),
        "ACTION_SERVER_PORT": str(free_port()),
        "RASA_TOKEN": RASA_TOKEN,
        # No console use here; a fixed password keeps `db prepare` from printing a new one.
        "DEMO_AGENT_PASSWORD": "bench-" + RASA_TOKEN,
        **(extra or {}),
    }
    for name in ("RASA_TRACKER_STORE_URL", "REST_API_TOKEN", "HOST"):
        env.pop(name, None)
    return env


@contextlib.contextmanager
def embedded_stack(
    project: Path, *, startup_timeout: float, extra_env: dict[str, str] | None = None
) -> Iterator[EmbeddedStack]:
    """Prepare the database, run the stack until the block ends, then stop it and clean up."""
    model = model_path(project)
    if not model.exists():
        raise StackError(
            f"no trained model for the current data ({model.name}); run `make model` first "
            "(the bench does not train)"
        )
    data_dir = Path(tempfile.mkdtemp(prefix="nordlicht-bench-"))
    env = stack_environment(data_dir, extra_env)
    log = data_dir / "stack.log"
    try:
        subprocess.run(
            [sys.executable, "-m", "bot", "db", "prepare"],
            cwd=project,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=project,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        stack = EmbeddedStack(
            f"http://127.0.0.1:{env['PORT']}", f"http://127.0.0.1:{env['RASA_PORT']}", data_dir, log
        )
        try:
            logger.info("Starting the stack (model %s) in %s ...", model.name, data_dir)
            _wait_until_healthy(stack, process, startup_timeout)
            yield stack
        finally:
            _stop(process, stack.run_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _wait_until_healthy(
    stack: EmbeddedStack, process: subprocess.Popen[bytes], timeout: float
) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise StackError(f"the stack exited early:\n{_tail(stack.log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{stack.gateway_url}/health", timeout=5).status_code == 200:
                logger.info("Stack healthy after %.0f s", time.monotonic() - started)
                return
        time.sleep(1)
    raise StackError(f"the stack was not healthy after {timeout:.0f} s:\n{_tail(stack.log)}")


def _stop(process: subprocess.Popen[bytes], run_dir: Path) -> None:
    """SIGTERM lets the supervisor stop its three processes; SIGKILL only if it hangs."""
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


def _tail(log: Path, chars: int = 3000) -> str:
    with contextlib.suppress(OSError):
        return log.read_text(errors="replace")[-chars:]
    return "(no log)"
