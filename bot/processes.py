"""The processes of a stack, each with its command line and environment.

`make run` starts one action server, one Rasa server and one gateway
(`process_specs`); `make prod-local` starts more of each from the same builders.
Rasa and the action server always listen on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from bot import rasa_endpoints
from bot.model import rasa_import_path
from bot.rasa_auth import rasa_auth_arguments
from bot.settings import StackSettings


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    env: dict[str, str]
    nice: int = 0
    """How much the process yields the CPU to the others (see `yield_cpu`)."""
    process: asyncio.subprocess.Process | None = field(default=None, repr=False)


def yield_cpu(pid: int, nice: int) -> None:
    """Let a freshly started process give way on a busy CPU.

    Every process runs in its own session, and Linux shares the CPU between
    sessions (autogroups) before it looks at a thread's nice value, so both are
    set. Set right after the start, the threads Rasa starts later inherit it.
    """
    if nice <= 0:
        return
    autogroup = Path(f"/proc/{pid}/autogroup")
    with contextlib.suppress(OSError):
        autogroup.write_text(str(nice))
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, nice)


def process_specs(
    settings: StackSettings, project: Path, model: Path, token: str
) -> list[ProcessSpec]:
    """The three processes, in start order, with the environment each one needs."""
    return [
        actions_spec("actions", settings),
        rasa_spec("rasa", settings, project, model, token, port=settings.rasa_port),
        gateway_spec(
            "gateway",
            settings,
            token,
            port=settings.port,
            rasa_url=f"http://127.0.0.1:{settings.rasa_port}",
            host=settings.host,
        ),
    ]


def base_environment(settings: StackSettings) -> dict[str, str]:
    """What every process of the stack gets: the caller's environment and the shared data."""
    redis = {"REDIS_URL": settings.redis_url} if settings.redis_url else {}
    return {
        **os.environ,
        "DATABASE_URL": settings.effective_database_url,
        "DATA_DIR": str(settings.data_dir),
        **redis,
        "REDIS_KEY_PREFIX": settings.redis_key_prefix,
        "PYTHONUNBUFFERED": "1",
    }


def actions_spec(name: str, settings: StackSettings) -> ProcessSpec:
    """The rasa-sdk action server on loopback."""
    return ProcessSpec(
        name,
        [
            sys.executable,
            "-m",
            "rasa_sdk",
            "--actions",
            "actions",
            "-p",
            str(settings.action_server_port),
        ],
        {**base_environment(settings), "SANIC_HOST": "127.0.0.1"},
    )


def rasa_spec(
    name: str,
    settings: StackSettings,
    project: Path,
    model: Path,
    token: str,
    *,
    port: int,
    extra_env: dict[str, str] | None = None,
) -> ProcessSpec:
    """A Rasa server on loopback with the API behind `token`, the tracker and lock stores."""
    tracker_url = settings.tracker_store_url()
    return ProcessSpec(
        name,
        [
            str(project / ".venv-rasa" / "bin" / "rasa"),
            "run",
            "--model",
            str(model),
            "--endpoints",
            str(rasa_endpoints.endpoints_path(settings.data_dir, settings.redis_url)),
            "--credentials",
            "credentials.yml",
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--enable-api",
            *rasa_auth_arguments(token),
        ],
        {
            **base_environment(settings),
            "ACTION_SERVER_URL": f"http://127.0.0.1:{settings.action_server_port}",
            **rasa_import_path(project),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            # Rasa 3.6's own dependencies print deprecation warnings at every start.
            "PYTHONWARNINGS": "ignore",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "RASA_TRACKER_STORE_URL": tracker_url,
            "RASA_TRACKER_STORE_DIALECT": make_url(tracker_url).get_backend_name(),
            **rasa_endpoints.lock_store_environment(settings.redis_url),
            **(extra_env or {}),
        },
        nice=settings.rasa_nice,
    )


def gateway_spec(
    name: str,
    settings: StackSettings,
    token: str,
    *,
    port: int,
    rasa_url: str,
    host: str,
    extra_env: dict[str, str] | None = None,
) -> ProcessSpec:
    """A gateway process (`python -m bot serve`)."""
    return ProcessSpec(
        name,
        [sys.executable, "-m", "bot", "serve"],
        {
            **base_environment(settings),
            "HOST": host,
            "PORT": str(port),
            "RASA_URL": rasa_url,
            "RASA_TOKEN": token,
            "ACTION_SERVER_URL": f"http://127.0.0.1:{settings.action_server_port}",
            **(extra_env or {}),
        },
    )
