"""Answers on the Nordlicht Club rules, with the numbers as the database holds them."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.account import utter_personal_bonus
from actions.database import session_factory
from bot.formatting import format_euros, format_number
from bot.loyalty import Programme, ProgrammeNotConfiguredError, load_programme

logger = logging.getLogger(__name__)

CLUB_OVERVIEW = "club/overview"


class ActionClubAnswer(Action):  # type: ignore[misc]
    """Utters the club response the response selector chose, filled from the database."""

    def name(self) -> str:
        return "action_club_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        selected = (tracker.latest_message.get("response_selector") or {}).get("club") or {}
        topic = (selected.get("response") or {}).get("intent_response_key") or CLUB_OVERVIEW
        await utter_club_topic(dispatcher, topic, tracker.get_slot("language") or "de")
        await utter_personal_bonus(dispatcher, tracker, topic)
        return []


async def utter_club_topic(dispatcher: CollectingDispatcher, topic: str, language: str) -> None:
    """Utter `utter_<topic>` with the programme's numbers, or an apology if they are unreadable."""
    try:
        programme = await asyncio.to_thread(_read_programme)
    except (SQLAlchemyError, ProgrammeNotConfiguredError):
        logger.exception("Could not read the loyalty programme from the database")
        dispatcher.utter_message(response="utter_club_unavailable")
        return
    dispatcher.utter_message(response=f"utter_{topic}", **programme_variables(programme, language))


def _read_programme() -> Programme:
    with session_factory()() as session:
        return load_programme(session)


def programme_variables(programme: Programme, language: str) -> dict[str, str]:
    """Every value the utter_club/* responses fill in, written for the language."""

    def number(value: int) -> str:
        return format_number(value, language)

    def tier_name(code: str) -> str:
        tier = next(t for t in programme.tiers if t.code == code)
        return tier.name_en if language == "en" else tier.name_de

    variables = {
        "programme": programme.name,
        "points_per_euro": number(programme.points_per_euro),
        "welcome_bonus": number(programme.welcome_bonus),
        "validity_months": number(programme.points_validity_months),
        "tier_window_months": number(programme.tier_window_months),
        "voucher_days": number(programme.voucher_validity_days),
        "tiers": ", ".join(
            f"{tier_name(t.code)} ({number(t.min_points)}+)" for t in programme.tiers
        ),
        "rewards": ", ".join(
            f"{number(r.points)} → {format_euros(r.voucher_value_cents, language)}"
            for r in programme.rewards
        ),
        "first_reward_points": number(min((r.points for r in programme.rewards), default=0)),
    }
    for tier in programme.tiers:
        variables[f"tier_{tier.code}_name"] = tier_name(tier.code)
        variables[f"tier_{tier.code}_min"] = number(tier.min_points)
        variables[f"tier_{tier.code}_birthday"] = number(tier.birthday_bonus)
    return variables
