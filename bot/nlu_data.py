"""Reads Rasa NLU YAML files into (intent, text) pairs, without Rasa installed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class Example:
    intent: str
    text: str


def read_examples(path: Path) -> list[Example]:
    """Every example of every NLU YAML file below `path`, entity annotations removed."""
    examples: list[Example] = []
    for file in sorted(path.rglob("*.yml")):
        content = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for block in content.get("nlu") or []:
            intent = block.get("intent")
            if not intent:
                continue
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.append(Example(intent, _ANNOTATION.sub(r"\1", line[2:]).strip()))
    return examples
