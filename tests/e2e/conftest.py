"""The running stack (`python -m bot run`) as a fixture: one per test module and backend.

Trains the model first if data/, domain or config changed (otherwise reuses it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.launcher import Launched, LaunchError, free_ports, launched
from bot.model import rasa_import_path
from bot.responses import DomainResponses
from tests.conftest import BACKENDS, postgres_schema

PROJECT = Path(__file__).resolve().parents[2]
RASA_BIN = PROJECT / ".venv-rasa" / "bin" / "rasa"
RASA_PYTHON = PROJECT / ".venv-rasa" / "bin" / "python"
STARTUP_TIMEOUT_SECONDS = 300
RESTART_DELAY_SECONDS = 8
REPLIES = DomainResponses.from_domain(PROJECT / "domain")
# How the handoff's first reply begins, within service hours or outside them.
HANDOFF_STARTS = {
    "de": ("Ich gebe dich an", "Unser Kundenservice ist gerade nicht"),
    "en": ("I'm passing you", "Our customer service team is not in"),
}


@dataclass
class RunningStack:
    base_url: str
    rasa_url: str
    data_dir: Path
    database_url: str
    launched: Launched

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self.launched.process

    @property
    def log(self) -> Path:
        return self.launched.log

    def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        response = httpx.post(
            f"{self.base_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        replies: list[dict[str, Any]] = response.json()
        return replies

    def pid(self, name: str) -> int:
        return self.launched.pid(name)

    @property
    def tracker_store_url(self) -> str:
        """Where Rasa should keep its trackers: the business PostgreSQL, else SQLite."""
        if self.database_url.startswith("postgresql"):
            return self.database_url
        return f"sqlite:///{self.data_dir / 'rasa-tracker.sqlite'}"

    def query(self, sql: str, *, url: str | None = None, **params: Any) -> list[tuple[Any, ...]]:
        return query(url or self.database_url, sql, **params)

    def wait_until_healthy(self, timeout: float) -> None:
        try:
            self.launched.wait_until_healthy(f"{self.base_url}/health", timeout)
        except LaunchError as error:
            pytest.fail(str(error))


def query(database_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run one statement against a stack's database; rows as tuples."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningStack]:
    """The stack on SQLite, or with business data and Rasa's tracker store on PostgreSQL."""
    require_rasa()
    data_dir = tmp_path_factory.mktemp("stack")
    if request.param == "sqlite":
        yield from run_stack(data_dir, f"sqlite:///{data_dir / 'nordlicht.sqlite'}")
    else:
        with postgres_schema() as url:
            yield from run_stack(data_dir, url)


def require_rasa() -> None:
    """Skip, with the reason, where the Rasa environment was never installed."""
    if not RASA_BIN.exists():
        pytest.skip("no Rasa environment (.venv-rasa); `make test` installs it")


def run_in_rasa(script: Path, *arguments: str, timeout: float = 600) -> Any:
    """Run a probe script in the Rasa environment; its last line of output, read as JSON."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONWARNINGS": "ignore", **rasa_import_path(PROJECT)}  # fmt: skip
    result = subprocess.run(
        [str(RASA_PYTHON), str(script), *arguments],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def train_model() -> None:
    """Train if data/, domain or config changed since the last model (else a no-op)."""
    subprocess.run([sys.executable, "-m", "bot", "model", "train"], cwd=PROJECT, check=True)


def run_stack(
    data_dir: Path, database_url: str, extra_env: dict[str, str] | None = None
) -> Iterator[RunningStack]:
    """Train if needed, prepare the database and run `python -m bot run` until closed."""
    train_model()
    port, rasa_port, actions_port = free_ports(3)
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "RASA_PORT": str(rasa_port),
        "ACTION_SERVER_PORT": str(actions_port),
        "RESTART_DELAY_SECONDS": str(RESTART_DELAY_SECONDS),
        **(extra_env or {}),
    }
    for name in ("RASA_TRACKER_STORE_URL", "REST_API_TOKEN", "RASA_TOKEN"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-m", "bot", "db", "prepare"], cwd=PROJECT, env=env, check=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        with launched(
            PROJECT,
            "run",
            env,
            health_url=f"{base_url}/health",
            startup_timeout=STARTUP_TIMEOUT_SECONDS,
            data_dir=data_dir,
        ) as running:
            yield RunningStack(
                base_url, f"http://127.0.0.1:{rasa_port}", data_dir, database_url, running
            )
    except LaunchError as error:
        pytest.fail(str(error))
