"""Keeps the `language` slot equal to the language the gateway detected for each message."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

SUPPORTED_LANGUAGES = ("de", "en")


class ValidateSlotMappings(ValidationAction):  # type: ignore[misc]
    """Rasa runs this after every user message (custom slot mappings)."""

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Take the gateway's per-message language; keep the slot when none was sent."""
        metadata = tracker.latest_message.get("metadata") or {}
        language = metadata.get("language")
        if language in SUPPORTED_LANGUAGES:
            return {"language": language}
        return {}

    async def validate_language(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Accept the extracted language (extraction already checked it)."""
        return {"language": value}
