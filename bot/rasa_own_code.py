"""Rasa's training cache, told about this project's code.

Rasa keys a cached component on its settings, its inputs and the source of its class
alone. A change to the rest of its module, or to a project helper it imports (the
umlaut spelling the tokenizer and the classifiers share, say), left that key as it was:
the next training restored what the old code had produced, beside parts trained on the
new code. Components that mix this in add their module's project sources to the key.

Runs inside Rasa's training (config.yml names the components), not in the gateway.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.source_closure import sources_digest

PROJECT = Path(__file__).resolve().parent.parent


class OwnCodeFingerprint:
    """Mixin for a Rasa component: its cache key covers the project code it runs."""

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        """Rasa's hook for what its own fingerprint of the component misses."""
        return sources_digest(PROJECT, [cls.__module__])
