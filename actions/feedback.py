"""Asking for ratings and acting on them: CSAT, CES after a person helped, NPS on request.

When to ask and what a score means are bot.feedback's rules; these actions say it
in the customer's language. A low score gets an apology and the offer of a person
or a callback; the last score is followed by an optional comment (a one-slot form
that the rules start once `rating_requested` is cleared).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.database import session_factory
from bot import feedback
from bot.clock import now
from bot.db.orm import Feedback
from bot.settings import FeedbackSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")

ANSWERED_INTENT_PREFIXES = ("faq", "club", "account_")
ANSWERED_INTENTS = {"redeem_reward", "choose_reward", "choose_topic", "verify_identity"}
MID_FLOW_SLOTS = ("pending_request", "reward_points")
FALLBACK_REPLIES = {"thank": "utter_you_are_welcome", "goodbye": "utter_goodbye"}
ASK_RESPONSES = {
    "thank": "utter_ask_csat",
    "goodbye": "utter_ask_csat_goodbye",
    "handoff_closed": "utter_ask_csat_human",
}
TRIGGERS = {"thank": "thanks", "goodbye": "goodbye", "handoff_closed": "handoff"}
BAND_RESPONSES = {
    feedback.Band.LOW: "utter_rating_low",
    feedback.Band.MIDDLE: "utter_rating_thanks",
    feedback.Band.HIGH: "utter_rating_thanks_high",
    feedback.Band.PROMOTER: "utter_rating_promoter",
}


class ActionOfferRating(Action):  # type: ignore[misc]
    """After thanks or goodbye following an answer, or after a person helped: ask for CSAT."""

    def name(self) -> str:
        return "action_offer_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = _intent(tracker)
        if _may_ask(tracker, intent):
            asked = await _in_session(
                lambda session: _ask_satisfaction(session, tracker, TRIGGERS[intent])
            )
            if asked:
                dispatcher.utter_message(response=ASK_RESPONSES[intent])
                return _expect_score("csat")
        if intent in FALLBACK_REPLIES:
            dispatcher.utter_message(response=FALLBACK_REPLIES[intent])
        return []


class ActionAskNps(Action):  # type: ignore[misc]
    """The customer wants to give feedback or answers a survey: would they recommend us?"""

    def name(self) -> str:
        return "action_ask_nps"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        trigger = "survey" if _intent(tracker) == "start_survey" else "request"
        await _in_session(lambda session: _record_question(session, tracker, "nps", trigger))
        dispatcher.utter_message(response="utter_ask_nps")
        return _expect_score("nps")


class ActionReceiveRating(Action):  # type: ignore[misc]
    """Store the score; after a person helped ask CES next, otherwise thank or apologise."""

    def name(self) -> str:
        return "action_receive_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kind = tracker.get_slot("feedback_kind") or "csat"
        score = _score(tracker, kind)
        if score is None:
            lowest, highest = feedback.SCALES[kind]
            dispatcher.utter_message(
                response="utter_rating_not_understood", lowest=lowest, highest=highest
            )
            return []
        band = feedback.band(kind, score)
        asks_effort = await _in_session(
            lambda session: _store_score(session, tracker, kind, score, band)
        )
        if asks_effort:
            dispatcher.utter_message(response="utter_ask_ces")
            return _expect_score("ces")
        return [
            SlotSet("rating_requested", False),
            SlotSet("feedback_score", score),
            SlotSet("low_rating", band is feedback.Band.LOW),
        ]


class ActionAskFeedbackComment(Action):  # type: ignore[misc]
    """The comment form's question, fitting the score: an apology and offers, or thanks."""

    def name(self) -> str:
        return "action_ask_feedback_comment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kind = tracker.get_slot("feedback_kind") or "csat"
        score = tracker.get_slot("feedback_score")
        band = feedback.band(kind, int(score)) if score is not None else feedback.Band.MIDDLE
        dispatcher.utter_message(
            response=BAND_RESPONSES[band], review_url=FeedbackSettings().review_url
        )
        return []


class ActionDeclineRating(Action):  # type: ignore[misc]
    """ "No thanks" to a rating question: remembered, so it is not asked again that day."""

    def name(self) -> str:
        return "action_decline_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kind = tracker.get_slot("feedback_kind") or "csat"
        await _in_session(
            lambda session: feedback.decline(
                session, sender_id=tracker.sender_id, kind=kind, now=now()
            )
        )
        dispatcher.utter_message(response="utter_rating_declined")
        return _finished()


class ActionStoreFeedbackComment(Action):  # type: ignore[misc]
    def name(self) -> str:
        return "action_store_feedback_comment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        comment = tracker.get_slot("feedback_comment") or ""
        await _in_session(
            lambda session: feedback.record_comment(
                session, sender_id=tracker.sender_id, comment=comment
            )
        )
        dispatcher.utter_message(response="utter_feedback_comment_stored")
        return _finished()


class ActionSkipFeedbackComment(Action):  # type: ignore[misc]
    def name(self) -> str:
        return "action_skip_feedback_comment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_feedback_comment_skipped")
        return _finished()


def _intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def _may_ask(tracker: Tracker, intent: str) -> bool:
    # Never inside another flow; after thanks or goodbye only when something was answered.
    if intent not in ASK_RESPONSES or tracker.active_loop.get("name"):
        return False
    if any(tracker.get_slot(slot) for slot in MID_FLOW_SLOTS):
        return False
    return intent == "handoff_closed" or _answered_in_session(tracker)


def _answered_in_session(tracker: Tracker) -> bool:
    answered = False
    for event in tracker.events:
        if event.get("event") == "session_started":
            answered = False
        elif event.get("event") == "user":
            name = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
            if name.startswith(ANSWERED_INTENT_PREFIXES) or name in ANSWERED_INTENTS:
                answered = True
    return answered


def _ask_satisfaction(session: Session, tracker: Tracker, trigger: str) -> bool:
    asked = feedback.ask_satisfaction(
        session,
        sender_id=tracker.sender_id,
        trigger=trigger,
        language=tracker.get_slot("language") or "de",
        now=now(),
    )
    return asked is not None


def _record_question(
    session: Session, tracker: Tracker, kind: str, trigger: str
) -> Feedback | None:
    return feedback.record_question(
        session,
        sender_id=tracker.sender_id,
        kind=kind,
        trigger=trigger,
        language=tracker.get_slot("language") or "de",
        now=now(),
    )


def _store_score(
    session: Session, tracker: Tracker, kind: str, score: int, band: feedback.Band
) -> bool:
    """Store the score (asking afresh when the question was lost) and, when a person helped
    and the rating was not low, the CES question with it; True when CES is to be asked."""
    moment = now()
    stored = feedback.record_score(
        session, sender_id=tracker.sender_id, kind=kind, score=score, now=moment
    )
    if stored is None and _record_question(session, tracker, kind, "unprompted") is not None:
        stored = feedback.record_score(
            session, sender_id=tracker.sender_id, kind=kind, score=score, now=moment
        )
    human = bool(stored and stored.handled_by_human)
    if kind != "csat" or not human or band is feedback.Band.LOW:
        return False
    return _record_question(session, tracker, "ces", "handoff") is not None


def _score(tracker: Tracker, kind: str) -> int | None:
    # A button sends the score as an entity; a typed answer is read from the text itself.
    text = tracker.latest_message.get("text") or ""
    if not text.startswith("/"):
        typed = feedback.parse_score(text, kind)
        if typed is not None:
            return typed
    lowest, highest = feedback.SCALES[kind]
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "score":
            try:
                value = int(entity.get("value"))
            except (TypeError, ValueError):
                continue
            if lowest <= value <= highest:
                return value
    return None


def _expect_score(kind: str) -> list[EventType]:
    return [SlotSet("rating_requested", True), SlotSet("feedback_kind", kind)]


def _finished() -> list[EventType]:
    return [
        SlotSet("rating_requested", False),
        SlotSet("feedback_comment", None),
        SlotSet("feedback_score", None),
        SlotSet("low_rating", False),
    ]


async def _in_session(work: Callable[[Session], T]) -> T | None:
    """Run one unit of database work off the event loop; a database error loses the rating only."""

    def unit() -> T:
        with session_factory().begin() as session:
            return work(session)

    try:
        return await asyncio.to_thread(unit)
    except SQLAlchemyError:
        logger.exception("Could not store a rating")
        return None
