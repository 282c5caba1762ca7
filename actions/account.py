"""Answers on the customer's own points account: balance, tier, expiring points, history.

Each answer re-reads the link of this chat from the database, so a stale slot
never shows anyone's data; the numbers come from bot.loyalty.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.database import session_factory
from bot import identity
from bot.clock import business_today
from bot.db.orm import Customer, PointTransaction
from bot.formatting import format_date, format_number, format_points
from bot.loyalty import (
    AccountSummary,
    Programme,
    ProgrammeNotConfiguredError,
    expiring_within,
    load_programme,
    recent_bookings,
    summarise_account,
)
from bot.responses import DomainResponses

logger = logging.getLogger(__name__)

EXPIRY_NOTICE_DAYS = 90
HISTORY_LENGTH = 5


@dataclass(frozen=True)
class Account:
    """A verified customer's account as read for one answer."""

    customer: Customer
    programme: Programme
    summary: AccountSummary
    bookings: tuple[PointTransaction, ...]
    today: dt.date

    def tier_name(self, language: str) -> str:
        tier = self.summary.tier
        return tier.name_en if language == "en" else tier.name_de


class ActionAccountAnswer(Action):  # type: ignore[misc]
    """Answers account_balance, account_tier, account_expiring and account_history."""

    def name(self) -> str:
        return "action_account_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        return await answer_account_question(dispatcher, tracker, domain, intent)


async def answer_account_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], intent: str
) -> list[dict[str, Any]]:
    """Answer one account intent for the customer linked to this chat."""
    account = await read_account(dispatcher, tracker)
    if account is None:
        return [SlotSet("customer_verified", False)]
    language = tracker.get_slot("language") or "de"
    responses = DomainResponses(domain.get("responses", {}))
    if intent == "account_tier":
        _utter_tier(dispatcher, account, language)
    elif intent == "account_expiring":
        _utter_expiring(dispatcher, account, language, responses)
    elif intent == "account_history":
        _utter_history(dispatcher, account, language, responses)
    else:
        dispatcher.utter_message(
            response="utter_account_balance",
            balance=format_number(account.summary.balance, language),
        )
    return []


async def read_account(dispatcher: CollectingDispatcher, tracker: Tracker) -> Account | None:
    """The account of the customer linked to this chat; says why when there is none."""
    try:
        account = await asyncio.to_thread(_load_account, tracker.sender_id)
    except (SQLAlchemyError, ProgrammeNotConfiguredError):
        logger.exception("Could not read a points account")
        dispatcher.utter_message(response="utter_account_unavailable")
        return None
    if account is None:
        dispatcher.utter_message(response="utter_verification_needed")
        logger.info("Chat %s asked for account data but is not linked", tracker.sender_id)
    return account


def _load_account(sender_id: str) -> Account | None:
    with session_factory()() as session:
        customer = identity.linked_customer(session, sender_id)
        if customer is None:
            return None
        programme = load_programme(session)
        bookings = tuple(customer.transactions)
        today = business_today()
        summary = summarise_account(programme, bookings, today)
        return Account(customer, programme, summary, bookings, today)


def _utter_tier(dispatcher: CollectingDispatcher, account: Account, language: str) -> None:
    summary = account.summary
    common = {
        "tier": account.tier_name(language),
        "earned": format_number(summary.earned_in_window, language),
        "tier_window_months": format_number(account.programme.tier_window_months, language),
    }
    if summary.next_tier is None:
        dispatcher.utter_message(response="utter_account_top_tier", **common)
    else:
        next_tier = summary.next_tier
        dispatcher.utter_message(
            response="utter_account_tier",
            next_tier=next_tier.name_en if language == "en" else next_tier.name_de,
            missing=format_number(summary.points_to_next_tier, language),
            **common,
        )
    dispatcher.utter_message(
        response=f"utter_tier_benefits_{summary.tier.code}",
        birthday_bonus=format_number(summary.tier.birthday_bonus, language),
    )


def _utter_expiring(
    dispatcher: CollectingDispatcher,
    account: Account,
    language: str,
    responses: DomainResponses,
) -> None:
    lots = expiring_within(account.summary, today=account.today, days=EXPIRY_NOTICE_DAYS)
    days = format_number(EXPIRY_NOTICE_DAYS, language)
    if not lots:
        dispatcher.utter_message(response="utter_account_nothing_expiring", days=days)
        return
    line = responses.text("utter_expiring_lot", language=language)
    listed = ", ".join(
        line.format(
            points=format_number(lot.points, language), date=format_date(lot.expires_on, language)
        )
        for lot in lots
    )
    dispatcher.utter_message(response="utter_account_expiring", days=days, lots=listed)


def _utter_history(
    dispatcher: CollectingDispatcher,
    account: Account,
    language: str,
    responses: DomainResponses,
) -> None:
    bookings = recent_bookings(account.bookings, today=account.today, count=HISTORY_LENGTH)
    if not bookings:
        dispatcher.utter_message(response="utter_account_no_history")
        return
    line = responses.text("utter_history_line", language=language)
    listed = "\n".join(
        line.format(
            date=format_date(booking.booked_on, language),
            points=format_points(booking.points, language),
            description=booking.description,
        )
        for booking in bookings
    )
    dispatcher.utter_message(response="utter_account_history", bookings=listed)


async def utter_personal_bonus(
    dispatcher: CollectingDispatcher, tracker: Tracker, topic: str
) -> None:
    """Add the verified customer's own birthday or welcome bonus to the general club answer."""
    if topic not in ("club/birthday", "club/join") or not tracker.get_slot("customer_verified"):
        return
    try:
        account = await asyncio.to_thread(_load_account, tracker.sender_id)
    except (SQLAlchemyError, ProgrammeNotConfiguredError):
        logger.exception("Could not read a points account for a personal bonus")
        return
    if account is None:
        return
    language = tracker.get_slot("language") or "de"
    if topic == "club/birthday":
        dispatcher.utter_message(
            response="utter_account_birthday_bonus",
            tier=account.tier_name(language),
            birthday_bonus=format_number(account.summary.tier.birthday_bonus, language),
        )
        return
    welcome = next((b for b in account.bookings if b.kind == "welcome_bonus"), None)
    if welcome is not None:
        dispatcher.utter_message(
            response="utter_account_welcome_bonus",
            points=format_number(welcome.points, language),
            date=format_date(welcome.booked_on, language),
        )
