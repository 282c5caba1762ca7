"""The lean DIET and response-selector loading answers exactly like Rasa's own, in less memory."""

from __future__ import annotations

from typing import Any

import pytest

from bot.model import model_path
from tests.e2e.conftest import PROJECT, require_rasa, run_in_rasa, train_model

pytestmark = pytest.mark.e2e

PROBE = PROJECT / "tests" / "e2e" / "rasa_load_probe.py"
# Rasa's training step at load time held about 600 MB on this project's model.
LEAST_SAVING_MB = 300


def probe(how: str) -> dict[str, Any]:
    return dict(run_in_rasa(PROBE, str(model_path(PROJECT)), how))


def test_lean_loading_answers_like_rasa_in_less_memory() -> None:
    require_rasa()
    train_model()

    lean, rasa = probe("lean"), probe("rasa")

    assert lean["parses"] == rasa["parses"]
    assert {p["intent"] for p in lean["parses"]} >= {"faq", "club", "out_of_scope"}
    assert lean["resident_mb"] < rasa["resident_mb"] - LEAST_SAVING_MB
