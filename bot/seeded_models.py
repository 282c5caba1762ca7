"""NLU models of the current data trained with other random seeds, for `make eval`.

One training is one draw: with the same data and only DIET's seed changed,
macro-F1 moved by about 0.004 and out-of-scope recall by 2–3 of 30 messages,
as much as the gaps to the targets. Scoring several seeds measures the
pipeline and the data instead of one draw. The config's own seed is the
production model; the others are NLU-only models kept in models/eval/.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml

from bot.model import MODEL_PREFIX, fingerprint, run_rasa_train, train_if_changed

logger = logging.getLogger(__name__)

SEED_KEY = "random_seed"


def config_seed(config: dict[str, Any]) -> int | None:
    """The seed the pipeline's trained components share (None when they set none)."""
    seeds = {part[SEED_KEY] for part in config.get("pipeline") or [] if SEED_KEY in part}
    if len(seeds) > 1:
        raise ValueError(f"config.yml's components use different seeds {sorted(seeds)}")
    return seeds.pop() if seeds else None


def with_seed(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """The same config with every seeded component of the pipeline on `seed`."""
    pipeline = [
        {**part, SEED_KEY: seed} if SEED_KEY in part else part
        for part in config.get("pipeline") or []
    ]
    return {**config, "pipeline": pipeline}


def seeded_model_path(project: Path, seed: int) -> Path:
    """Where the NLU model of the current data trained with `seed` lives."""
    return project / "models" / "eval" / f"{MODEL_PREFIX}{fingerprint(project)}-seed{seed}.tar.gz"


def models_for_seeds(project: Path, seeds: list[int], *, rasa_bin: Path) -> dict[int, Path]:
    """A model per seed, training those not trained yet; the config's seed is the real model."""
    config = yaml.safe_load((project / "config.yml").read_text(encoding="utf-8"))
    own_seed = config_seed(config)
    models = {}
    for number, seed in enumerate(seeds, start=1):
        if seed == own_seed:
            models[seed] = train_if_changed(project, rasa_bin=rasa_bin)
            continue
        path = seeded_model_path(project, seed)
        if path.exists():
            logger.info("Seed %d of %d (%d): reusing %s", number, len(seeds), seed, path.name)
        else:
            logger.info(
                "Seed %d of %d (%d): training the NLU again with this seed ...",
                number,
                len(seeds),
                seed,
            )
            _train_nlu(project, with_seed(config, seed), path, rasa_bin)
        models[seed] = path
    return models


def _train_nlu(project: Path, config: dict[str, Any], model: Path, rasa_bin: Path) -> None:
    model.parent.mkdir(parents=True, exist_ok=True)
    config_file = model.parent / model.name.replace(".tar.gz", ".config.yml")
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    arguments = ["train", "nlu", "--config", str(config_file), "--nlu", "data"]
    run_rasa_train(project, rasa_bin=rasa_bin, arguments=arguments, model=model)
    _prune_other_data(model)


def _prune_other_data(model: Path) -> None:
    """Models of older data are of no further use: only the current fingerprint is scored."""
    current = model.name.split("-seed")[0]
    for stale in model.parent.glob(f"{MODEL_PREFIX}*"):
        if not stale.name.startswith(f"{current}-"):
            stale.unlink()
            logger.info("Removed old evaluation model %s", stale.name)
