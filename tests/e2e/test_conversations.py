"""Conversation tests (tests/conversations/*.yml) run by `rasa test` against the trained model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]
RASA_BIN = PROJECT / ".venv-rasa" / "bin" / "rasa"


def test_every_conversation_test_passes(tmp_path: Path) -> None:
    if not RASA_BIN.exists():
        pytest.skip("no Rasa environment (.venv-rasa); `make test` installs it")
    subprocess.run([sys.executable, "-m", "bot", "model", "train"], cwd=PROJECT, check=True)
    model = subprocess.run(
        [sys.executable, "-m", "bot", "model", "path"],
        cwd=PROJECT, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    result = subprocess.run(
        [str(RASA_BIN), "test", "core", "--model", model, "--stories", "tests/conversations",
         "--out", str(tmp_path), "--fail-on-prediction-errors"],
        cwd=PROJECT,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
    )  # fmt: skip
    failed = tmp_path / "failed_test_stories.yml"
    details = (
        failed.read_text() if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:]
    )
    assert result.returncode == 0, details
