"""`make eval`: the trained models against the held-out test set in tests/nlu/<language>/.

Serves each seed's model with Rasa (loopback, random secret), parses every
held-out message through /model/parse, scores full intents per language and
seed, and writes report.json and summary.md to the report folder with the
means over the seeds, which the targets are judged on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import httpx
from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.model import rasa_import_path
from bot.nlu_data import Example, read_examples
from bot.nlu_overlap import NEAR_COPY_OVERLAP, OverlapScores, near_copies, score_by_overlap
from bot.nlu_scores import (
    Prediction,
    Scores,
    SeedScores,
    Spread,
    full_intent,
    over_seeds,
    score,
)
from bot.rasa_auth import rasa_auth_arguments, rasa_auth_headers

logger = logging.getLogger(__name__)

TARGET_MACRO_F1 = 0.95
TARGET_OUT_OF_SCOPE_RECALL = 0.90
TARGET_MIN_INTENT_F1 = 0.85
PARALLEL_REQUESTS = 4


class EvalSettings(BaseSettings):
    """How many trainings `make eval` scores."""

    model_config = SettingsConfigDict(env_prefix="EVAL_", extra="ignore")

    seeds: str = "42"
    """EVAL_SEEDS: DIET's random seeds, comma-separated. 42 is config.yml's (the real model).
    The intent and topic classifiers have no seed, so another seed moves only what DIET's
    entities decide (an `inform` needs a member number or a date); each costs one more
    training and is kept in models/eval/ until the data changes."""

    @field_validator("seeds")
    @classmethod
    def _distinct_numbers(cls, value: str) -> str:
        parts = [part.strip() for part in value.split(",")]
        if not all(part.isdigit() for part in parts) or len(set(parts)) != len(parts):
            raise ValueError(f"EVAL_SEEDS must be distinct whole numbers like 42,7,1234: {value!r}")
        return ",".join(parts)

    @property
    def seed_list(self) -> list[int]:
        return [int(seed) for seed in self.seeds.split(",")]


def target_misses(language: str, scores: SeedScores) -> list[str]:
    """Each target the language's mean scores miss, in words."""
    misses = []
    if scores.macro_f1.mean < TARGET_MACRO_F1:
        misses.append(f"{language}: macro-F1 {scores.macro_f1.mean:.3f} < {TARGET_MACRO_F1}")
    oos = scores.out_of_scope_recall
    if oos is not None and oos.mean < TARGET_OUT_OF_SCOPE_RECALL:
        misses.append(
            f"{language}: out-of-scope recall {oos.mean:.3f} < {TARGET_OUT_OF_SCOPE_RECALL}"
        )
    misses += [
        f"{language}: {intent} F1 {f1.mean:.3f} < {TARGET_MIN_INTENT_F1}"
        for intent, f1 in scores.intent_f1.items()
        if f1.mean < TARGET_MIN_INTENT_F1
    ]
    return misses


def evaluate(project: Path, *, models: dict[int, Path], rasa_bin: Path, report_dir: Path) -> bool:
    """Score each seed's model on every language folder of tests/nlu; True when the means
    over the seeds meet all targets."""
    test_sets = {
        folder.name: read_examples(folder)
        for folder in sorted((project / "tests" / "nlu").iterdir())
        if folder.is_dir()
    }
    report_dir.mkdir(parents=True, exist_ok=True)
    predictions: dict[int, dict[str, list[Prediction]]] = {}
    for seed, model in models.items():
        log = report_dir / f"rasa-seed{seed}.log"
        with _rasa_server(project, model.resolve(), rasa_bin, log) as (url, token):
            predictions[seed] = {
                language: asyncio.run(_predict(url, token, examples))
                for language, examples in test_sets.items()
            }
    runs = {
        seed: {language: score(found) for language, found in by_language.items()}
        for seed, by_language in predictions.items()
    }
    results = {
        language: over_seeds([runs[seed][language] for seed in models]) for language in test_sets
    }
    near = {
        language: near_copies(examples, read_examples(project / "data" / "nlu" / language))
        for language, examples in test_sets.items()
    }
    by_overlap = {
        seed: {
            language: score_by_overlap(found, near[language])
            for language, found in by_language.items()
        }
        for seed, by_language in predictions.items()
    }
    misses = [m for language, s in results.items() for m in target_misses(language, s)]
    report = {
        "models": {seed: model.name for seed, model in models.items()},
        "targets": {
            "macro_f1": TARGET_MACRO_F1,
            "out_of_scope_recall": TARGET_OUT_OF_SCOPE_RECALL,
            "min_intent_f1": TARGET_MIN_INTENT_F1,
        },
        "languages": {language: asdict(s) for language, s in results.items()},
        "seeds": {
            seed: {language: asdict(s) for language, s in by_language.items()}
            for seed, by_language in runs.items()
        },
        "errors": {
            seed: {
                language: [asdict(p) for p in found if not p.correct]
                for language, found in by_language.items()
            }
            for seed, by_language in predictions.items()
        },
        "near_copies": {
            seed: {language: asdict(s) for language, s in by_language.items()}
            for seed, by_language in by_overlap.items()
        },
        "targets_missed": misses,
    }
    (report_dir / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    summary = render_summary(models, results, runs, misses) + render_overlap(by_overlap)
    (report_dir / "summary.md").write_text(summary)
    print(summary)
    return not misses


def render_summary(
    models: dict[int, Path],
    results: dict[str, SeedScores],
    runs: dict[int, dict[str, Scores]],
    misses: list[str],
) -> str:
    """A short Markdown summary: mean figures with their range over the seeds, each seed's
    headline figures, the weakest intents and the topic confusions."""
    seeds = ", ".join(str(seed) for seed in models)
    lines = [f"# NLU evaluation on the held-out set (seeds {seeds})", ""]
    lines += [
        "Models: " + ", ".join(f"{seed} → {model.name}" for seed, model in models.items()) + ".",
        "",
        (
            f"Each figure is the mean over the {len(models)} trainings (lowest–highest in "
            "brackets)."
            if len(models) > 1
            else "One training, so no spread: EVAL_SEEDS with several seeds gives mean and range."
        ),
        "",
        "| language | examples | macro-F1 | out-of-scope recall | fallback rate | lowest intent |",
        "|---|---|---|---|---|---|",
    ]
    for language, s in results.items():
        worst, worst_f1 = min(s.intent_f1.items(), key=lambda item: item[1].mean)
        oos = _spread(s.out_of_scope_recall) if s.out_of_scope_recall is not None else "–"
        lines.append(
            f"| {language} | {s.examples} | {_spread(s.macro_f1)} | {oos} "
            f"| {_spread(s.fallback_rate)} | {worst} {_spread(worst_f1)} |"
        )
    lines += [
        "",
        "| seed | " + " | ".join(f"{lang} macro-F1 | {lang} OOS" for lang in results) + " |",
    ]
    lines += ["|---" * (1 + 2 * len(results)) + "|"]
    for seed, by_language in runs.items():
        cells = [
            f"{s.macro_f1:.3f} | "
            + (f"{s.out_of_scope_recall:.3f}" if s.out_of_scope_recall is not None else "–")
            for s in by_language.values()
        ]
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Targets (on the means): macro-F1 ≥ {TARGET_MACRO_F1} per language, out-of-scope "
        f"recall ≥ {TARGET_OUT_OF_SCOPE_RECALL}, every intent F1 ≥ {TARGET_MIN_INTENT_F1}.",
        "",
    ]
    lines += (
        ["**All targets met.**"] if not misses else ["**Missed:**", *[f"- {m}" for m in misses]]
    )
    for language, s in results.items():
        topic_confusions = [c for c in s.confusions if "/" in c[0] and "/" in c[1] and c[0] != c[1]]
        over = f"summed over {s.seeds} seeds" if s.seeds > 1 else "one training"
        lines += ["", f"## {language}: confusions between FAQ/Club topics ({over})"]
        lines += [f"- {g} → {p}: {n}" for g, p, n in topic_confusions] or ["- none"]
        lines += ["", f"## {language}: all confusions, gold → predicted ({over})"]
        lines += [f"- {g} → {p}: {n}" for g, p, n in s.confusions[:15]] or ["- none"]
    return "\n".join(lines) + "\n"


def render_overlap(by_overlap: dict[int, dict[str, OverlapScores]]) -> str:
    """How the model does on held-out messages that nearly copy a training example against
    the rest, as means over the seeds."""
    over = "means over the seeds" if len(by_overlap) > 1 else "one training"
    lines = [
        "",
        f"## Near-copies of training examples ({over})",
        "",
        f"A held-out message that shares {NEAR_COPY_OVERLAP:.0%} or more of its words with a "
        "training example tests memory more than understanding; the other messages show how "
        "new wordings fare.",
        "",
        "| language | near-copies | accuracy on them | other messages | accuracy on them "
        "| out-of-scope recall on them |",
        "|---|---|---|---|---|---|",
    ]
    languages = next(iter(by_overlap.values()), {})
    for language in languages:
        runs = [by_language[language] for by_language in by_overlap.values()]
        first = runs[0]
        lines.append(
            f"| {language} | {first.near_copies} | {_mean([r.near_copy_accuracy for r in runs])} "
            f"| {first.others} | {_mean([r.other_accuracy for r in runs])} "
            f"| {_mean([r.other_out_of_scope_recall for r in runs])} |"
        )
    return "\n".join(lines) + "\n"


def _mean(values: list[float | None]) -> str:
    known = [value for value in values if value is not None]
    return f"{sum(known) / len(known):.3f}" if known else "–"


def _spread(value: Spread) -> str:
    if value.low == value.high:
        return f"{value.mean:.3f}"
    return f"{value.mean:.3f} ({value.low:.3f}–{value.high:.3f})"


async def _predict(url: str, token: str, examples: list[Example]) -> list[Prediction]:
    limit = asyncio.Semaphore(PARALLEL_REQUESTS)
    async with httpx.AsyncClient(timeout=60) as http:

        async def one(example: Example) -> Prediction:
            async with limit:
                response = await http.post(
                    f"{url}/model/parse",
                    headers=rasa_auth_headers(token),
                    json={"text": example.text},
                )
                response.raise_for_status()
            return Prediction(example.intent, full_intent(response.json()), example.text)

        return list(await asyncio.gather(*(one(e) for e in examples)))


@contextmanager
def _rasa_server(
    project: Path, model: Path, rasa_bin: Path, log: Path
) -> Iterator[tuple[str, str]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = secrets.token_urlsafe(32)
    command = [str(rasa_bin), "run", "--model", str(model), "--interface", "127.0.0.1"]
    command += ["--port", str(port), "--enable-api", *rasa_auth_arguments(token)]
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONWARNINGS": "ignore",
        **rasa_import_path(project),
    }
    with log.open("wb") as output:
        # Run outside the project so Rasa picks up no endpoints.yml: parsing needs none.
        process = subprocess.Popen(command, cwd=log.parent, env=env, stdout=output, stderr=output)
    url = f"http://127.0.0.1:{port}"
    try:
        logger.info("Loading %s into a Rasa server for the evaluation ...", model.name)
        _wait_for_model(url, token, process, log)
        yield url, token
    finally:
        process.terminate()
        process.wait(30)


def _wait_for_model(url: str, token: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Rasa exited while loading the model; see {log}")
        try:
            status = httpx.get(f"{url}/status", headers=rasa_auth_headers(token))
            if status.json().get("model_file"):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(1)
    raise RuntimeError(f"Rasa did not load the model within 5 minutes; see {log}")
