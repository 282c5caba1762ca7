"""`make eval` trains the same data with other seeds; the config's seed is the real model."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.model import model_path
from bot.seeded_models import config_seed, models_for_seeds, seeded_model_path, with_seed
from tests.conftest import PROJECT


def test_with_seed_changes_every_seeded_component_and_nothing_else() -> None:
    config = yaml.safe_load((PROJECT / "config.yml").read_text(encoding="utf-8"))
    assert config_seed(config) == 42
    seeded = with_seed(config, 7)
    assert config_seed(seeded) == 7
    seeded_parts = [part for part in config["pipeline"] if "random_seed" in part]
    assert seeded_parts
    assert [part.get("random_seed") for part in seeded["pipeline"]].count(7) == len(seeded_parts)
    unseeded = [
        (a, b) for a, b in zip(config["pipeline"], seeded["pipeline"], strict=True)
        if "random_seed" not in a
    ]  # fmt: skip
    assert all(a == b for a, b in unseeded)
    assert seeded["policies"] == config["policies"]
    assert config_seed(config) == 42


def test_components_on_different_seeds_are_refused() -> None:
    config = {"pipeline": [{"name": "A", "random_seed": 1}, {"name": "B", "random_seed": 2}]}
    with pytest.raises(ValueError, match="different seeds"):
        config_seed(config)


def test_trained_models_are_reused_and_the_config_seed_is_the_real_model(project: Path) -> None:
    model_path(project).write_bytes(b"real")
    other = seeded_model_path(project, 7)
    other.parent.mkdir()
    other.write_bytes(b"seed 7")
    models = models_for_seeds(project, [42, 7], rasa_bin=project / "no-such-rasa")
    assert models == {42: model_path(project), 7: other}


def test_a_data_change_names_new_seed_models(project: Path) -> None:
    before = seeded_model_path(project, 7)
    with (project / "data" / "nlu" / "de" / "smalltalk.yml").open("a", encoding="utf-8") as f:
        f.write("\n# changed\n")
    assert seeded_model_path(project, 7) != before
