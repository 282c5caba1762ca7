"""Loyalty-programme actions; the rules themselves live in bot.loyalty."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.database import session_factory
from actions.formatting import format_euros, format_number
from bot.loyalty import Programme, ProgrammeNotConfiguredError, load_programme

logger = logging.getLogger(__name__)


class ActionLoyaltyProgramme(Action):  # type: ignore[misc]
    """Explains the Nordlicht Club with the rules as they are stored in the database."""

    def name(self) -> str:
        return "action_loyalty_programme"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = tracker.get_slot("language") or "de"
        try:
            programme = await asyncio.to_thread(_read_programme)
        except (SQLAlchemyError, ProgrammeNotConfiguredError):
            logger.exception("Could not read the loyalty programme from the database")
            dispatcher.utter_message(response="utter_loyalty_unavailable")
            return []
        dispatcher.utter_message(
            response="utter_loyalty_programme", **programme_variables(programme, language)
        )
        return []


def _read_programme() -> Programme:
    with session_factory()() as session:
        return load_programme(session)


def programme_variables(programme: Programme, language: str) -> dict[str, str]:
    """The values utter_loyalty_programme fills in, written for the language."""

    def number(value: int) -> str:
        return format_number(value, language)

    tiers = ", ".join(
        f"{tier.name_en if language == 'en' else tier.name_de} ({number(tier.min_points)}+)"
        for tier in programme.tiers
    )
    rewards = ", ".join(
        f"{number(reward.points)} → {format_euros(reward.voucher_value_cents, language)}"
        for reward in programme.rewards
    )
    return {
        "programme": programme.name,
        "points_per_euro": number(programme.points_per_euro),
        "welcome_bonus": number(programme.welcome_bonus),
        "validity_months": number(programme.points_validity_months),
        "tier_window_months": number(programme.tier_window_months),
        "tiers": tiers,
        "rewards": rewards,
        "voucher_days": number(programme.voucher_validity_days),
    }
