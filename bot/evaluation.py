"""`make eval`: the trained model against the held-out test set in tests/nlu/<language>/.

Serves the model with Rasa (loopback, random token), parses every held-out
message through /model/parse, scores full intents per language and writes
report.json and summary.md to the report folder.
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

from bot.model import rasa_import_path
from bot.nlu_data import Example, read_examples
from bot.nlu_scores import Prediction, Scores, full_intent, score

logger = logging.getLogger(__name__)

TARGET_MACRO_F1 = 0.95
TARGET_OUT_OF_SCOPE_RECALL = 0.90
TARGET_MIN_INTENT_F1 = 0.85
PARALLEL_REQUESTS = 4


def target_misses(language: str, scores: Scores) -> list[str]:
    """Each target the language's scores miss, in words."""
    misses = []
    if scores.macro_f1 < TARGET_MACRO_F1:
        misses.append(f"{language}: macro-F1 {scores.macro_f1:.3f} < {TARGET_MACRO_F1}")
    oos = scores.out_of_scope_recall
    if oos is not None and oos < TARGET_OUT_OF_SCOPE_RECALL:
        misses.append(f"{language}: out-of-scope recall {oos:.3f} < {TARGET_OUT_OF_SCOPE_RECALL}")
    misses += [
        f"{language}: {s.intent} F1 {s.f1:.3f} < {TARGET_MIN_INTENT_F1}"
        for s in scores.per_intent
        if s.f1 < TARGET_MIN_INTENT_F1
    ]
    return misses


def evaluate(project: Path, *, model: Path, rasa_bin: Path, report_dir: Path) -> bool:
    """Score the model on every language folder of tests/nlu; True when all targets are met."""
    test_sets = {
        folder.name: read_examples(folder)
        for folder in sorted((project / "tests" / "nlu").iterdir())
        if folder.is_dir()
    }
    report_dir.mkdir(parents=True, exist_ok=True)
    with _rasa_server(project, model.resolve(), rasa_bin, report_dir / "rasa.log") as (url, token):
        predictions = {
            language: asyncio.run(_predict(url, token, examples))
            for language, examples in test_sets.items()
        }
    results = {language: score(found) for language, found in predictions.items()}
    misses = [m for language, s in results.items() for m in target_misses(language, s)]
    report = {
        "model": model.name,
        "targets": {
            "macro_f1": TARGET_MACRO_F1,
            "out_of_scope_recall": TARGET_OUT_OF_SCOPE_RECALL,
            "min_intent_f1": TARGET_MIN_INTENT_F1,
        },
        "languages": {language: asdict(s) for language, s in results.items()},
        "errors": {
            language: [asdict(p) for p in found if not p.correct]
            for language, found in predictions.items()
        },
        "targets_missed": misses,
    }
    (report_dir / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    summary = render_summary(model.name, results, misses)
    (report_dir / "summary.md").write_text(summary)
    print(summary)
    return not misses


def render_summary(model_name: str, results: dict[str, Scores], misses: list[str]) -> str:
    """A short Markdown summary: headline figures, weakest intents, topic confusions."""
    lines = [f"# NLU evaluation on the held-out set ({model_name})", ""]
    lines += [
        "| language | examples | macro-F1 | out-of-scope recall | fallback rate | lowest intent |"
    ]
    lines += ["|---|---|---|---|---|---|"]
    for language, s in results.items():
        worst = min(s.per_intent, key=lambda i: i.f1)
        oos = f"{s.out_of_scope_recall:.3f}" if s.out_of_scope_recall is not None else "–"
        lines.append(
            f"| {language} | {sum(i.support for i in s.per_intent)} | {s.macro_f1:.3f} | {oos} "
            f"| {s.fallback_rate:.3f} | {worst.intent} {worst.f1:.3f} |"
        )
    lines += [
        "",
        f"Targets: macro-F1 ≥ {TARGET_MACRO_F1} per language, out-of-scope recall ≥ "
        f"{TARGET_OUT_OF_SCOPE_RECALL}, every intent F1 ≥ {TARGET_MIN_INTENT_F1}.",
        "",
    ]
    lines += (
        ["**All targets met.**"] if not misses else ["**Missed:**", *[f"- {m}" for m in misses]]
    )
    for language, s in results.items():
        topic_confusions = [c for c in s.confusions if "/" in c[0] and "/" in c[1] and c[0] != c[1]]
        lines += ["", f"## {language}: confusions between FAQ/Club topics"]
        lines += [f"- {g} → {p}: {n}" for g, p, n in topic_confusions] or ["- none"]
        lines += ["", f"## {language}: all confusions (gold → predicted)"]
        lines += [f"- {g} → {p}: {n}" for g, p, n in s.confusions[:15]] or ["- none"]
    return "\n".join(lines) + "\n"


async def _predict(url: str, token: str, examples: list[Example]) -> list[Prediction]:
    limit = asyncio.Semaphore(PARALLEL_REQUESTS)
    async with httpx.AsyncClient(timeout=60) as http:

        async def one(example: Example) -> Prediction:
            async with limit:
                response = await http.post(
                    f"{url}/model/parse", params={"token": token}, json={"text": example.text}
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
    token = secrets.token_urlsafe(16)
    command = [str(rasa_bin), "run", "--model", str(model), "--interface", "127.0.0.1"]
    # `--auth-token=` keeps a token that starts with "-" from reading as an option.
    command += ["--port", str(port), "--enable-api", f"--auth-token={token}"]
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
            if httpx.get(f"{url}/status", params={"token": token}).json().get("model_file"):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(1)
    raise RuntimeError(f"Rasa did not load the model within 5 minutes; see {log}")
