"""Handing the conversation to a person: queue it and tell the customer what happens next.

The handoff itself is stored by bot.handoff in the business database; from then
on the gateway routes the customer's messages to the agent console instead of
the assistant. Inside service hours the customer hears roughly how long it
takes, outside them from when a colleague answers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.database import session_factory
from actions.topic_answers import before_handoff, further_topics, utter_topics
from bot import handoff, identity
from bot.clock import now, time_zone
from bot.db import conversations as queries

logger = logging.getLogger(__name__)

SUMMARY_MESSAGES = 3
WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
TODAY = {"de": "heute", "en": "today"}
TOMORROW = {"de": "morgen", "en": "tomorrow"}


class ActionRequestHuman(Action):  # type: ignore[misc]
    """A person was asked for, a complaint came in, or a low rating's offer was accepted.
    A question asked in the same message ("Ich will mit jemandem sprechen. Und wie ist eure
    E-Mail?") is answered first: the wait for a person is no reason to wait for a fact."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("low_rating"):
            reason = "low_rating"
        elif (tracker.latest_message.get("intent") or {}).get("name") == "complaint":
            reason = "complaint"
        else:
            reason = "asked_for_person"
        await answer_then_hand_over(dispatcher, tracker, domain, reason=reason)
        return [SlotSet("low_rating", False)]


class ActionRequestCallback(Action):  # type: ignore[misc]
    """Queue a callback for the team: the agent sees the number, or the customer writes it."""

    def name(self) -> str:
        return "action_request_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            phone = await asyncio.to_thread(_queue_callback, tracker)
        except SQLAlchemyError:
            logger.exception("Could not queue a callback")
            dispatcher.utter_message(response="utter_request_human")
            return [SlotSet("low_rating", False)]
        if phone:
            dispatcher.utter_message(response="utter_callback_with_number", phone=phone)
        else:
            dispatcher.utter_message(response="utter_callback_ask_number")
        return [SlotSet("low_rating", False)]


async def answer_then_hand_over(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], *, reason: str
) -> None:
    """Answer the questions the latest message asked beside wanting a person, then hand
    over: a fact should not wait in the queue. An answer that itself offers the team is
    left out, since the handoff follows anyway."""
    responses = domain.get("responses", {})
    asked = further_topics(tracker.latest_message, responses)
    await utter_topics(dispatcher, tracker, before_handoff(asked, responses))
    await request_handoff(dispatcher, tracker, reason=reason)


async def request_handoff(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, reason: str
) -> None:
    """Queue the conversation for a person and say what happens next, in the customer's language."""
    language = tracker.get_slot("language") or "de"
    try:
        availability = await asyncio.to_thread(_request, tracker, reason)
    except SQLAlchemyError:
        logger.exception("Could not queue a conversation for a person")
        availability = None
    if availability is None:
        dispatcher.utter_message(response="utter_request_human")
    elif availability.open_now:
        dispatcher.utter_message(
            response="utter_handoff_in_hours", minutes=availability.wait_minutes
        )
    else:
        dispatcher.utter_message(
            response="utter_handoff_outside_hours",
            next_opening=when_phrase(availability.next_opening, now(), language),
        )


def _queue_callback(tracker: Tracker) -> str | None:
    """Hand the chat to the team for a callback; the number to call, when one is known."""
    with session_factory().begin() as session:
        conversation = queries.find_conversation(session, sender_id=tracker.sender_id)
        if conversation is None:
            return None
        reason = "callback_low_rating" if tracker.get_slot("low_rating") else "callback"
        handoff.request(
            session, conversation=conversation, reason=reason, summary=_summary(tracker), now=now()
        )
        customer = identity.linked_customer(session, tracker.sender_id)
        if customer is not None and customer.mobile:
            return customer.mobile
        if conversation.channel == "whatsapp":
            sender: str = tracker.sender_id
            return sender.removeprefix("whatsapp:")
        return None


def _request(tracker: Tracker, reason: str) -> handoff.Availability | None:
    with session_factory().begin() as session:
        conversation = queries.find_conversation(session, sender_id=tracker.sender_id)
        if conversation is None:
            return None
        moment = now()
        available = handoff.availability(session, now=moment, time_zone=time_zone())
        handoff.request(
            session, conversation=conversation, reason=reason, summary=_summary(tracker), now=moment
        )
        return available


def _summary(tracker: Tracker) -> dict[str, Any]:
    # What the bot understood, for the agent: the last customer messages and their intents.
    said = [
        {"text": e.get("text"), "intent": (e.get("parse_data") or {}).get("intent", {}).get("name")}
        for e in tracker.events
        if e.get("event") == "user"
    ]
    return {"last_messages": said[-SUMMARY_MESSAGES:]}


def when_phrase(moment: dt.datetime | None, current: dt.datetime, language: str) -> str:
    """When a colleague is back, as the customer would say it: "heute" or "morgen" rather than
    the weekday, which on a Monday morning read as next week's Monday."""
    if moment is None:
        return "?"
    zone = ZoneInfo(time_zone())
    local = moment.astimezone(zone)
    days_ahead = (local.date() - current.astimezone(zone).date()).days
    lang = language if language in WEEKDAYS else "de"
    if days_ahead == 0:
        day = TODAY[lang]
    elif days_ahead == 1:
        day = TOMORROW[lang]
    else:
        day = WEEKDAYS[lang][local.weekday()]
    if lang == "de":
        return f"{day} um {local:%H:%M} Uhr"
    return f"{day} at {local:%H:%M}"
