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
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.launcher import LaunchError, free_ports, launched
from bot.model import model_path

logger = logging.getLogger(__name__)

RASA_TOKEN = "nordlicht-bench-rasa-secret-of-32-characters"
"""Fixed: Rasa listens on loopback only, and a known token keeps runs comparable."""


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


def stack_environment(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a bench stack: own data, free ports, fixed token, no outside config."""
    port, rasa_port, actions_port = free_ports(3)
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'nordlicht.sqlite'}",
        "PORT": str(port),
        "RASA_PORT": str(rasa_port),
        "ACTION_SERVER_PORT": str(actions_port),
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
    try:
        subprocess.run(
            [sys.executable, "-m", "bot", "db", "prepare"],
            cwd=project,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        gateway_url = f"http://127.0.0.1:{env['PORT']}"
        logger.info("Starting the stack (model %s) in %s ...", model.name, data_dir)
        started = time.monotonic()
        with launched(
            project,
            "run",
            env,
            health_url=f"{gateway_url}/health",
            startup_timeout=startup_timeout,
            data_dir=data_dir,
        ) as running:
            logger.info("Stack healthy after %.0f s", time.monotonic() - started)
            yield EmbeddedStack(
                gateway_url, f"http://127.0.0.1:{env['RASA_PORT']}", data_dir, running.log
            )
    except LaunchError as error:
        raise StackError(str(error)) from error
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
