"""The real thing: `python -m bot run` with a trained model, Rasa, action server and gateway.

Trains the model first if data/, domain or config changed (otherwise reuses it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.replies import GatewayReplies
from tests.conftest import BACKENDS, postgres_schema
from tests.fakes.rasa import free_port

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]
RASA_BIN = PROJECT / ".venv-rasa" / "bin" / "rasa"
STARTUP_TIMEOUT_SECONDS = 300
RESTART_DELAY_SECONDS = 8
REPLIES = GatewayReplies.from_domain(PROJECT / "domain.yml")


@dataclass
class RunningStack:
    base_url: str
    rasa_url: str
    data_dir: Path
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path

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
        return int((self.data_dir / "run" / f"{name}.pid").read_text())

    @property
    def tracker_store_url(self) -> str:
        """Where Rasa should keep its trackers: the business PostgreSQL, else SQLite."""
        if self.database_url.startswith("postgresql"):
            return self.database_url
        return f"sqlite:///{self.data_dir / 'rasa-tracker.sqlite'}"

    def query(self, sql: str, *, url: str | None = None, **params: Any) -> list[tuple[Any, ...]]:
        engine = create_engine(url or self.database_url)
        try:
            with engine.begin() as connection:
                result = connection.execute(text(sql), params)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def wait_until_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the stack exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        pytest.fail(f"the stack did not become healthy:\n{self.log.read_text()[-3000:]}")


@pytest.fixture(scope="module", params=BACKENDS)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningStack]:
    """The stack on SQLite, or with business data and Rasa's tracker store on PostgreSQL."""
    if not RASA_BIN.exists():
        pytest.skip("no Rasa environment (.venv-rasa); `make test` installs it")
    data_dir = tmp_path_factory.mktemp("stack")
    if request.param == "sqlite":
        yield from _run_stack(data_dir, f"sqlite:///{data_dir / 'nordlicht.sqlite'}")
    else:
        with postgres_schema() as url:
            yield from _run_stack(data_dir, url)


def _run_stack(data_dir: Path, database_url: str) -> Iterator[RunningStack]:
    subprocess.run([sys.executable, "-m", "bot", "model", "train"], cwd=PROJECT, check=True)
    port, rasa_port, actions_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "RASA_PORT": str(rasa_port),
        "ACTION_SERVER_PORT": str(actions_port),
        "RESTART_DELAY_SECONDS": str(RESTART_DELAY_SECONDS),
    }
    for name in ("RASA_TRACKER_STORE_URL", "REST_API_TOKEN", "RASA_TOKEN"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-m", "bot", "db", "prepare"], cwd=PROJECT, env=env, check=True)
    log = data_dir / "stack.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=PROJECT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = RunningStack(
        f"http://127.0.0.1:{port}",
        f"http://127.0.0.1:{rasa_port}",
        data_dir,
        database_url,
        process,
        log,
    )
    try:
        running.wait_until_healthy(STARTUP_TIMEOUT_SECONDS)
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(60)


def test_german_greeting(stack: RunningStack) -> None:
    replies = stack.say("e2e-de", "Hallo")
    assert [r["text"] for r in replies] == [REPLIES.text("utter_greet", language="de")]
    assert replies[0]["recipient_id"] == "e2e-de"


def test_english_greeting(stack: RunningStack) -> None:
    replies = stack.say("e2e-en", "hello")
    assert [r["text"] for r in replies] == [REPLIES.text("utter_greet", language="en")]


@pytest.mark.parametrize(
    ("text", "language"),
    [("Wann habt ihr geöffnet?", "de"), ("What are your opening hours?", "en")],
)
def test_faq_answer_from_the_response_selector(
    stack: RunningStack, text: str, language: str
) -> None:
    replies = stack.say(f"e2e-faq-{language}", text)
    assert [r["text"] for r in replies] == [
        REPLIES.text("utter_faq/store_hours", language=language)
    ]


def test_custom_action_answers_with_data_from_the_database(stack: RunningStack) -> None:
    stack.query("UPDATE loyalty_programmes SET welcome_bonus = 150")
    try:
        [reply] = stack.say("e2e-club", "Wie funktioniert der Nordlicht Club?")
        [english] = stack.say("e2e-club-en", "How does the Nordlicht Club work?")
    finally:
        stack.query("UPDATE loyalty_programmes SET welcome_bonus = 100")
    assert "150 Punkte Willkommensbonus" in reply["text"]
    assert "Bronze (0+), Silber (500+), Gold (1.500+)" in reply["text"]
    assert "welcome bonus of 150 points" in english["text"]
    assert "Bronze (0+), Silver (500+), Gold (1,500+)" in english["text"]


def test_every_message_and_reply_is_stored(stack: RunningStack) -> None:
    stack.say("e2e-store", "Danke dir")
    rows = stack.query(
        "SELECT m.direction, m.author, m.text, m.status FROM messages m "
        "JOIN conversations c ON c.id = m.conversation_id "
        "WHERE c.sender_id = :sender ORDER BY m.id",
        sender="rest:e2e-store",
    )
    assert rows == [
        ("in", "customer", "Danke dir", "answered"),
        ("out", "bot", REPLIES.text("utter_you_are_welcome", language="de"), "sent"),
    ]


def test_rasa_keeps_its_trackers_in_the_configured_store(stack: RunningStack) -> None:
    stack.say("e2e-tracker", "Hallo")
    [(events,)] = stack.query(
        "SELECT count(*) FROM events WHERE sender_id = :sender",
        url=stack.tracker_store_url,
        sender="rest:e2e-tracker",
    )
    assert events > 0


def test_rasa_api_requires_the_token(stack: RunningStack) -> None:
    assert httpx.get(f"{stack.rasa_url}/status").status_code == 401
    assert httpx.get(f"{stack.rasa_url}/status", params={"token": "guess"}).status_code == 401


def test_killed_action_server_gives_an_apology_then_recovers(stack: RunningStack) -> None:
    os.kill(stack.pid("actions"), signal.SIGKILL)
    time.sleep(0.5)

    [reply] = stack.say("e2e-crash", "Wie funktioniert der Nordlicht Club?")

    assert reply["text"] == REPLIES.text("utter_service_unavailable", language="de")
    [(status, reason)] = stack.query(
        "SELECT m.status, m.failure_reason FROM messages m JOIN conversations c "
        "ON c.id = m.conversation_id WHERE c.sender_id = :sender AND m.direction = 'in'",
        sender="rest:e2e-crash",
    )
    assert status == "unanswered" and "no reply" in reason

    stack.wait_until_healthy(RESTART_DELAY_SECONDS + 60)
    [again] = stack.say("e2e-crash", "Wie funktioniert der Nordlicht Club?")
    assert "Willkommensbonus" in again["text"]


def test_ctrl_c_stops_all_three_processes(stack: RunningStack) -> None:
    pids = [stack.pid(name) for name in ("actions", "rasa", "gateway")]

    os.kill(stack.process.pid, signal.SIGINT)

    assert stack.process.wait(60) == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert "All processes stopped." in stack.log.read_text()
