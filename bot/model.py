"""Which trained model belongs to the current data, and training it when there is none.

A model is named after a fingerprint of config.yml, domain/, data/ and the code of the
project's own pipeline components, so an unchanged project reuses its model and a
changed one trains exactly once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import yaml

from bot.source_closure import module_sources

logger = logging.getLogger(__name__)

MODEL_PREFIX = "nordlicht-"
KEEP_MODELS = 3
TRAINING_CACHE_ENV = "RASA_CACHE_DIRECTORY"


class TrainingFailedError(RuntimeError):
    """`rasa train` exited with an error."""


def training_inputs(project: Path) -> list[Path]:
    """Every file that changes what `rasa train` produces."""
    return [
        project / "config.yml",
        *sorted((project / "domain").rglob("*.yml")),
        *sorted((project / "data").rglob("*.yml")),
        *component_sources(project),
    ]


def component_sources(project: Path) -> list[Path]:
    """The project's modules config.yml names as components, and the project modules they
    import: a change in how a component trains must not reuse a model trained before it."""
    config = yaml.safe_load((project / "config.yml").read_text(encoding="utf-8")) or {}
    names = [str(part.get("name", "")) for part in (config.get("pipeline") or [])]
    return module_sources(project, [name.rpartition(".")[0] for name in names if "." in name])


def fingerprint(project: Path) -> str:
    """Short hash over the names and contents of the training inputs."""
    digest = hashlib.sha256()
    for file in training_inputs(project):
        digest.update(file.relative_to(project).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def model_path(project: Path) -> Path:
    """Where the model for the project's current data lives (whether or not it exists)."""
    return project / "models" / f"{MODEL_PREFIX}{fingerprint(project)}.tar.gz"


def rasa_import_path(project: Path) -> dict[str, str]:
    """Environment for a Rasa process: config.yml names this project's components
    (bot/rasa_components.py), so Rasa must import from the project wherever it runs."""
    return {"PYTHONPATH": str(project)}


def training_cache(environ: Mapping[str, str] = os.environ) -> Path:
    """Where Rasa keeps trained components between trainings: outside the checkout, so a
    fresh clone or a second checkout of the same data reuses them instead of spending an
    hour on a 2-core machine. RASA_CACHE_DIRECTORY (Rasa's own variable) overrides it."""
    if environ.get(TRAINING_CACHE_ENV):
        return Path(environ[TRAINING_CACHE_ENV])
    user_cache = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return user_cache / "nordlicht" / "rasa-training"


def train_if_changed(project: Path, *, rasa_bin: Path) -> Path:
    """Return the current model, training it first if the data changed since the last one."""
    path = model_path(project)
    if path.exists():
        logger.info("Model is up to date with data/, domain and config: reusing %s", path.name)
        return path
    logger.info("Training a new model %s (data/, domain or config changed) ...", path.name)
    arguments = ["train", "--config", "config.yml", "--domain", "domain", "--data", "data"]
    run_rasa_train(project, rasa_bin=rasa_bin, arguments=arguments, model=path)
    _prune_old_models(project / "models", keep=path)
    return path


def run_rasa_train(project: Path, *, rasa_bin: Path, arguments: list[str], model: Path) -> None:
    """Run `rasa <arguments>` writing `model`, so every training gets the same environment
    (the project's components importable, no telemetry) and the same failure."""
    started = time.monotonic()
    command = [str(rasa_bin), *arguments, "--out", str(model.parent)]
    command += ["--fixed-model-name", model.name.removesuffix(".tar.gz")]
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        TRAINING_CACHE_ENV: str(training_cache().absolute()),
        **rasa_import_path(project),
    }
    result = subprocess.run(command, cwd=project, env=env, check=False)
    if result.returncode != 0 or not model.exists():
        raise TrainingFailedError(f"rasa train failed with exit code {result.returncode}")
    logger.info("Trained %s in %.0f s", model.name, time.monotonic() - started)


def _prune_old_models(models: Path, *, keep: Path) -> None:
    old = sorted(
        (p for p in models.glob(f"{MODEL_PREFIX}*.tar.gz") if p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in old[KEEP_MODELS - 1 :]:
        stale.unlink()
        logger.info("Removed old model %s", stale.name)
