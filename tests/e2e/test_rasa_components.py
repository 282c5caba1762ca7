"""The lean DIET and response-selector loading answers exactly like Rasa's own, in less memory."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from bot.model import model_path, rasa_import_path
from tests.e2e.conftest import PROJECT, require_rasa, train_model

pytestmark = pytest.mark.e2e

PROBE = PROJECT / "tests" / "e2e" / "rasa_load_probe.py"
RASA_PYTHON = PROJECT / ".venv-rasa" / "bin" / "python"
# Rasa's training step at load time held about 600 MB on this project's model.
LEAST_SAVING_MB = 300


def probe(how: str) -> dict[str, Any]:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONWARNINGS": "ignore", **rasa_import_path(PROJECT)}  # fmt: skip
    result = subprocess.run(
        [str(RASA_PYTHON), str(PROBE), str(model_path(PROJECT)), how],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_lean_loading_answers_like_rasa_in_less_memory() -> None:
    require_rasa()
    train_model()

    lean, rasa = probe("lean"), probe("rasa")

    assert lean["parses"] == rasa["parses"]
    assert {p["intent"] for p in lean["parses"]} >= {"faq", "club", "out_of_scope"}
    assert lean["resident_mb"] < rasa["resident_mb"] - LEAST_SAVING_MB
