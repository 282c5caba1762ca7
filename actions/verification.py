"""Proving who the customer is (member number + date of birth), and forgetting it again.

The checks themselves live in bot.identity; these actions only ask, pass on and
answer. A failed check never says whether the member number exists.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.account import answer_account_question
from actions.club import utter_club_topic
from actions.database import session_factory
from actions.redemption import offer_rewards
from actions.rewards_offer import REWARDS_TOPIC, rewards_just_shown
from bot import identity
from bot.birth_dates import parse_birth_date
from bot.clock import business_today, time_zone
from bot.member_numbers import normalise_member_number

logger = logging.getLogger(__name__)

FORM_SLOTS = ["member_number", "birth_date"]
REDEEM_INTENT = "redeem_reward"
CONTACT_SHARED = "/contact_shared"


class ActionRememberRequest(Action):  # type: ignore[misc]
    """Notes the personal question asked before verification, to answer it right after.

    Someone who wants to redeem first hears what the rewards are: that part is not
    personal, and it may be all they wanted to know; not when the bot's last reply showed
    them (the button under the rewards answer). Asked while the verification is already
    under way (a second tap on that button), the question is noted and the verification
    keeps the details it has.
    """

    def name(self) -> str:
        return "action_remember_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if tracker.active_loop_name:
            return [SlotSet("pending_request", intent)]
        if intent == REDEEM_INTENT and not rewards_just_shown(tracker):
            await utter_club_topic(dispatcher, REWARDS_TOPIC, tracker.get_slot("language") or "de")
        return [SlotSet("pending_request", intent), *(SlotSet(s, None) for s in FORM_SLOTS)]


class ValidateVerificationForm(FormValidationAction):  # type: ignore[misc]
    def name(self) -> str:
        return "validate_verification_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        """Nothing left to ask once verified or while checks are locked (the form then ends)."""
        if tracker.get_slot("customer_verified"):
            return []
        if await _locked_until(tracker.sender_id) is not None:
            return []
        return list(domain_slots)

    async def validate_member_number(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Accept "nl 100234" and the like; a date in the same message fills the next slot."""
        if tracker.get_slot("customer_verified"):
            # Linked meanwhile (a shared Telegram contact): nothing left to ask.
            return {"member_number": None}
        text = str(value or "")
        if text == CONTACT_SHARED:
            dispatcher.utter_message(response="utter_contact_not_linked")
            return {"member_number": None}
        member_number = normalise_member_number(text)
        if member_number is None:
            dispatcher.utter_message(response="utter_invalid_member_number")
            return {"member_number": None}
        born = parse_birth_date(text, today=business_today())
        if born is None:
            return {"member_number": member_number}
        return {
            "member_number": member_number,
            **await self._check(dispatcher, tracker, member_number, born),
        }

    async def validate_birth_date(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Read the date as typed, then check it together with the member number."""
        born = parse_birth_date(str(value or ""), today=business_today())
        member_number = tracker.get_slot("member_number")
        if born is None:
            dispatcher.utter_message(response="utter_invalid_birth_date")
            return {"birth_date": None}
        if not member_number:
            return {"birth_date": None}
        return await self._check(dispatcher, tracker, str(member_number), born)

    async def _check(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        member_number: str,
        born: dt.date,
    ) -> dict[str, Any]:
        try:
            result = await asyncio.to_thread(_check_member, tracker, member_number, born)
        except SQLAlchemyError:
            logger.exception("Could not check an identity against the database")
            dispatcher.utter_message(response="utter_account_unavailable")
            return {"member_number": None, "birth_date": None}
        if result.outcome is identity.Outcome.VERIFIED:
            assert result.customer is not None
            return {
                "birth_date": born.isoformat(),
                "customer_verified": True,
                "first_name": result.customer.first_name,
            }
        if result.outcome is identity.Outcome.FAILED:
            dispatcher.utter_message(
                response="utter_verification_failed", attempts_left=result.attempts_left
            )
        return {"member_number": None, "birth_date": None}


class ActionVerificationDone(Action):  # type: ignore[misc]
    """After the form: greet the verified customer and answer what they first asked."""

    def name(self) -> str:
        return "action_verification_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = [
            SlotSet("pending_request", None),
            *(SlotSet(s, None) for s in FORM_SLOTS),
        ]
        if not tracker.get_slot("customer_verified"):
            await utter_lock(dispatcher, tracker.sender_id)
            return events
        dispatcher.utter_message(
            response="utter_verified", first_name=tracker.get_slot("first_name")
        )
        pending = tracker.get_slot("pending_request")
        if pending == REDEEM_INTENT:
            events += await offer_rewards(dispatcher, tracker, domain)
        elif pending:
            events += await answer_account_question(dispatcher, tracker, domain, pending)
        return events


class ActionForgetMe(Action):  # type: ignore[misc]
    """Unlinks this chat from the customer ("log out", "forget me")."""

    def name(self) -> str:
        return "action_forget_me"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            removed = await asyncio.to_thread(_unlink, tracker.sender_id)
        except SQLAlchemyError:
            logger.exception("Could not unlink a conversation from its customer")
            dispatcher.utter_message(response="utter_account_unavailable")
            return []
        dispatcher.utter_message(
            response="utter_forgotten" if removed else "utter_nothing_to_forget"
        )
        return [SlotSet("customer_verified", False), SlotSet("first_name", None)]


async def utter_lock(dispatcher: CollectingDispatcher, sender_id: str) -> None:
    """Say until when checks are locked (local time), if they are."""
    until = await _locked_until(sender_id)
    if until is None:
        return
    local = until.astimezone(ZoneInfo(time_zone()))
    minutes = int(identity.LOCK_DURATION.total_seconds() // 60)
    dispatcher.utter_message(
        response="utter_verification_locked", minutes=minutes, until=f"{local:%H:%M}"
    )


async def _locked_until(sender_id: str) -> dt.datetime | None:
    try:
        return await asyncio.to_thread(_read_lock, sender_id)
    except SQLAlchemyError:
        logger.exception("Could not read the verification lock")
        return None


def _read_lock(sender_id: str) -> dt.datetime | None:
    with session_factory()() as session:
        return identity.verification_locked_until(session, sender_id)


def _check_member(tracker: Tracker, member_number: str, born: dt.date) -> identity.CheckResult:
    channel = tracker.get_latest_input_channel() or tracker.sender_id.partition(":")[0]
    with session_factory().begin() as session:
        return identity.check_member(
            session,
            channel=channel,
            sender_id=tracker.sender_id,
            member_number=member_number,
            birth_date=born,
        )


def _unlink(sender_id: str) -> bool:
    with session_factory().begin() as session:
        return identity.unlink(session, sender_id)
