"""Keeps the conversation-wide slots equal to what the gateway knows about each message.

The gateway detects the language of every message and knows whether the sender is
a verified customer; it sends both as metadata. Rasa runs this action after every
user message (custom slot mappings).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

SUPPORTED_LANGUAGES = ("de", "en")
RATING_ANSWERS = {"rate", "inform", "deny", "nlu_fallback"}


Validator = Callable[
    [Any, Any, CollectingDispatcher, Tracker, dict[str, Any]], Awaitable[dict[str, Any]]
]


def _accepted(slot: str) -> Validator:
    """A `validate_<slot>` method that keeps the extracted value as it is."""

    async def validate(
        action: Any,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        return {slot: value}

    return validate


class ValidateSlotMappings(ValidationAction):  # type: ignore[misc]
    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Take the gateway's per-message language; keep the slot when none was sent."""
        language = _metadata(tracker).get("language")
        if language in SUPPORTED_LANGUAGES:
            return {"language": language}
        return {}

    async def extract_customer_verified(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Follow the gateway's word on the sender; keep the slot when it said nothing."""
        metadata = _metadata(tracker)
        if "customer" not in metadata:
            return {}
        customer = metadata["customer"] or {}
        verified = bool(customer.get("verified"))
        return {"customer_verified": verified, "first_name": customer.get("first_name")}

    async def extract_rating_requested(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A customer who moves on instead of rating is not asked for a score any more."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if tracker.get_slot("rating_requested") and intent not in RATING_ANSWERS:
            return {"rating_requested": False}
        return {}

    # The extractors above already checked these values; rasa-sdk logs a warning per
    # message for every extracted slot that has no validator.
    validate_language = _accepted("language")
    validate_customer_verified = _accepted("customer_verified")
    validate_first_name = _accepted("first_name")


def _metadata(tracker: Tracker) -> dict[str, Any]:
    return tracker.latest_message.get("metadata") or {}
