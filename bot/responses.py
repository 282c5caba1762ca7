"""Response texts read straight from the Rasa domain, per language (for the gateway and actions).

The gateway needs a few (the apology when the assistant is down), actions need
button titles; both read the same conditional variations staff edit in the domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


class MissingResponseError(LookupError):
    """The domain lacks a response the gateway needs."""


class DomainResponses:
    def __init__(self, responses: Mapping[str, list[dict[str, Any]]]) -> None:
        self._responses = responses

    @classmethod
    def from_domain(cls, path: Path) -> DomainResponses:
        """Read every `responses:` block of a domain file or of a domain folder."""
        files = sorted(path.rglob("*.yml")) if path.is_dir() else [path]
        responses: dict[str, list[dict[str, Any]]] = {}
        for file in files:
            content = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            responses.update(content.get("responses") or {})
        return cls(responses)

    def require(self, *names: str) -> None:
        """Fail at start-up, by name, when a response the gateway uses is missing."""
        missing = [name for name in names if name not in self._responses]
        if missing:
            raise MissingResponseError(f"responses missing from the domain: {', '.join(missing)}")

    def has(self, name: str) -> bool:
        """Whether the domain defines the response."""
        return bool(self._responses.get(name))

    def text(self, name: str, *, language: str, **slots: Any) -> str:
        """The variation Rasa would pick for these slot values (language first), else the default.

        As in Rasa, a variation whose conditions all hold wins over the unconditional
        one; slots not given count as unset.
        """
        variations = self._responses.get(name)
        if not variations:
            raise MissingResponseError(name)
        values = {"language": language, **slots}
        for variation in variations:
            conditions = variation.get("condition") or ()
            if conditions and all(_holds(condition, values) for condition in conditions):
                return str(variation["text"])
        for variation in variations:
            if not variation.get("condition"):
                return str(variation["text"])
        return str(variations[0]["text"])


def _holds(condition: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    if condition.get("type") != "slot":
        return False
    return bool(values.get(str(condition.get("name"))) == condition.get("value"))
