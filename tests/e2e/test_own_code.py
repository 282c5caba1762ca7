"""Rasa's training cache keys each of the project's components on the project code it
runs, so a change in that code trains the component again instead of restoring it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PROJECT, require_rasa, run_in_rasa

pytestmark = pytest.mark.e2e


def test_every_own_component_keys_the_cache_on_its_code() -> None:
    require_rasa()

    keyed = run_in_rasa(PROJECT / "tests" / "e2e" / "own_code_probe.py")

    assert len(keyed) >= 6
    assert all(keyed.values()), keyed
