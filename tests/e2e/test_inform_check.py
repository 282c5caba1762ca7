"""In the Rasa server, `inform` stands only when the message gives a member number or a date."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from bot.model import rasa_import_path
from tests.e2e.conftest import PROJECT, require_rasa

pytestmark = pytest.mark.e2e

PROBE = PROJECT / "tests" / "e2e" / "inform_check_probe.py"
RASA_PYTHON = PROJECT / ".venv-rasa" / "bin" / "python"

CASES = [
    ("nl 100 234", "inform", "inform"),
    ("geboren bin ich am 12.4.88", "inform", "inform"),
    ("born on April 12th 1988", "inform", "inform"),
    ("wer hat 2014 die WM gewonnen", "inform", "nlu_fallback"),
    ("what is 12 times 7", "inform", "nlu_fallback"),
    ("NL-1234", "inform", "nlu_fallback"),
    ("was kostet der versand", "faq", "faq"),
    ("ich gebe euch 4 von 5", "rate", "rate"),
]


def test_inform_without_details_becomes_the_fallback() -> None:
    require_rasa()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore",
           **rasa_import_path(PROJECT)}  # fmt: skip
    result = subprocess.run(
        [str(RASA_PYTHON), str(PROBE), json.dumps([[text, given] for text, given, _ in CASES])],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    parses = json.loads(result.stdout.strip().splitlines()[-1])

    assert [parse["intent"]["name"] for parse in parses] == [want for *_, want in CASES]
    for parse, (_, given, want) in zip(parses, CASES, strict=True):
        if want != given:
            assert parse["intent"]["confidence"] == 0.9
            assert parse["ranking"] == ["nlu_fallback", given, "faq"]
        else:
            assert parse["ranking"] == [given, "faq"]
