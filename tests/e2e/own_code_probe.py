"""Run in the Rasa environment by test_own_code.py: import every component config.yml
names from this project and print, per component, whether Rasa's cache key for it
carries the digest of its project sources."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import yaml

from bot.rasa_own_code import OwnCodeFingerprint
from bot.source_closure import sources_digest

PROJECT = Path(__file__).resolve().parents[2]


def main() -> None:
    config = yaml.safe_load((PROJECT / "config.yml").read_text(encoding="utf-8"))
    keyed = {}
    for part in config["pipeline"]:
        module, _, name = str(part["name"]).rpartition(".")
        if not module.startswith("bot."):
            continue
        component = getattr(importlib.import_module(module), name)
        keyed[part["name"]] = issubclass(component, OwnCodeFingerprint) and (
            component.fingerprint_addon({}) == sources_digest(PROJECT, [module])
        )
    print(json.dumps(keyed))


if __name__ == "__main__":
    main()
