"""Redeeming points for a voucher: offer what the balance affords, confirm, then book once.

The confirmation step hands out a fresh request key; bot.rewards books at most
one voucher per key, so a double tap on "yes" or a retried message cannot buy
twice, and its ledger lock keeps two chats of one customer from overdrawing.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.account import read_account
from actions.database import session_factory
from bot import identity
from bot.clock import business_today
from bot.formatting import format_date, format_euros, format_number
from bot.responses import DomainResponses
from bot.rewards import NotEnoughPoints, Redeemed, Redemption, affordable_rewards, redeem

logger = logging.getLogger(__name__)

CLEARED = [SlotSet("reward_points", None), SlotSet("redemption_key", None)]


class ActionOfferRewards(Action):  # type: ignore[misc]
    def name(self) -> str:
        return "action_offer_rewards"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return await offer_rewards(dispatcher, tracker, domain)


async def offer_rewards(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> list[dict[str, Any]]:
    """List the vouchers the balance pays for as buttons, or say how many points are missing."""
    account = await read_account(dispatcher, tracker)
    if account is None:
        return [SlotSet("customer_verified", False)]
    language = tracker.get_slot("language") or "de"
    balance = account.summary.balance
    affordable = affordable_rewards(account.programme, balance)
    if not affordable:
        cheapest = account.programme.rewards[0]
        dispatcher.utter_message(
            response="utter_reward_out_of_reach",
            balance=format_number(balance, language),
            points=format_number(cheapest.points, language),
            value=format_euros(cheapest.voucher_value_cents, language),
            missing=format_number(cheapest.points - balance, language),
        )
        return CLEARED
    title = DomainResponses(domain.get("responses", {})).text(
        "utter_reward_button", language=language
    )
    buttons = [
        {
            "title": title.format(
                value=format_euros(reward.voucher_value_cents, language),
                points=format_number(reward.points, language),
            ),
            "payload": f'/choose_reward{{"reward_points": {reward.points}}}',
        }
        for reward in affordable
    ]
    dispatcher.utter_message(
        response="utter_choose_reward", balance=format_number(balance, language), buttons=buttons
    )
    return CLEARED


class ActionConfirmReward(Action):  # type: ignore[misc]
    """Asks yes/no for the chosen voucher and issues the key the "yes" will redeem with."""

    def name(self) -> str:
        return "action_confirm_reward"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        account = await read_account(dispatcher, tracker)
        if account is None:
            return [SlotSet("customer_verified", False), *CLEARED]
        language = tracker.get_slot("language") or "de"
        points = _chosen_points(tracker)
        reward = next((r for r in account.programme.rewards if r.points == points), None)
        if reward is None:
            return await offer_rewards(dispatcher, tracker, domain)
        balance = account.summary.balance
        if balance < reward.points:
            dispatcher.utter_message(
                response="utter_reward_not_enough_points",
                balance=format_number(balance, language),
                missing=format_number(reward.points - balance, language),
            )
            return CLEARED
        dispatcher.utter_message(
            response="utter_confirm_reward",
            points=format_number(reward.points, language),
            value=format_euros(reward.voucher_value_cents, language),
        )
        return [
            SlotSet("reward_points", reward.points),
            SlotSet("redemption_key", uuid.uuid4().hex),
        ]


class ActionAnswerRewardConfirmation(Action):  # type: ignore[misc]
    """ "Yes" redeems with the confirmation's key, "no" keeps the points; both end the step."""

    def name(self) -> str:
        return "action_answer_reward_confirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        key = tracker.get_slot("redemption_key")
        points = _chosen_points(tracker)
        if intent != "affirm":
            dispatcher.utter_message(
                response="utter_redemption_cancelled" if key else "utter_nothing_to_confirm"
            )
            return CLEARED
        if not key or points is None:
            dispatcher.utter_message(response="utter_nothing_to_confirm")
            return CLEARED
        try:
            outcome = await asyncio.to_thread(_redeem, tracker.sender_id, points, str(key))
        except SQLAlchemyError:
            logger.exception("Could not redeem a reward")
            dispatcher.utter_message(response="utter_account_unavailable")
            return []
        _utter_outcome(dispatcher, outcome, tracker.get_slot("language") or "de")
        return CLEARED


def _chosen_points(tracker: Tracker) -> int | None:
    value = tracker.get_slot("reward_points")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _redeem(sender_id: str, points: int, key: str) -> Redemption | None:
    with session_factory().begin() as session:
        customer = identity.linked_customer(session, sender_id)
        if customer is None:
            return None
        return redeem(
            session,
            customer_id=customer.id,
            reward_points=points,
            request_key=key,
            today=business_today(),
        )


def _utter_outcome(
    dispatcher: CollectingDispatcher, outcome: Redemption | None, language: str
) -> None:
    if outcome is None:
        dispatcher.utter_message(response="utter_verification_needed")
    elif isinstance(outcome, Redeemed):
        voucher = outcome.voucher
        dispatcher.utter_message(
            response="utter_reward_already_redeemed"
            if outcome.repeated
            else "utter_reward_redeemed",
            code=voucher.code,
            value=format_euros(voucher.value_cents, language),
            valid_until=format_date(voucher.valid_until, language),
            balance=format_number(outcome.balance, language),
        )
    elif isinstance(outcome, NotEnoughPoints):
        dispatcher.utter_message(
            response="utter_reward_not_enough_points",
            balance=format_number(outcome.balance, language),
            missing=format_number(outcome.missing, language),
        )
    else:
        dispatcher.utter_message(response="utter_nothing_to_confirm")
