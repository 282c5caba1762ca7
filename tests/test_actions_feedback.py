"""The rating actions against the demo database: when they ask, what they store, what follows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions import feedback as feedback_actions
from actions import handoff as handoff_actions
from actions.feedback import (
    ActionAskFeedbackComment,
    ActionAskNps,
    ActionDeclineRating,
    ActionOfferRating,
    ActionReceiveRating,
    ActionStoreFeedbackComment,
)
from actions.handoff import ActionRequestCallback, ActionRequestHuman
from bot.db import conversations as queries
from bot.db.orm import Feedback, Handoff

MONDAY_10_BERLIN = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
WIDGET_CHAT = "widget:abc"
WHATSAPP_CHAT = "whatsapp:+491701234567"


def user(intent: str, text: str = "…") -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def tracker(
    intent: str,
    text: str = "…",
    *,
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    entities: list[dict[str, Any]] | None = None,
    active_loop: dict[str, Any] | None = None,
    sender: str = WIDGET_CHAT,
) -> Tracker:
    return Tracker(
        sender_id=sender,
        slots={"language": "de", **(slots or {})},
        latest_message={
            "text": text,
            "intent": {"name": intent},
            "entities": entities or [],
            "metadata": {},
        },
        events=[*(events or []), user(intent, text)],
        paused=False,
        followup_action=None,
        active_loop=active_loop or {},
        latest_action_name="action_listen",
    )


def said(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def rows(sessions: sessionmaker[Session]) -> list[tuple[str, str, int | None, str]]:
    with sessions() as session:
        return [
            (f.kind, f.status, f.score, f.trigger)
            for f in session.scalars(select(Feedback).order_by(Feedback.id))
        ]


ANSWERED = [user("faq/shipping_germany", "Was kostet der Versand?")]


@pytest.fixture
def chats(
    action_database: None, demo_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> sessionmaker[Session]:
    monkeypatch.setattr(feedback_actions, "now", lambda: MONDAY_10_BERLIN)
    monkeypatch.setattr(handoff_actions, "now", lambda: MONDAY_10_BERLIN)
    with demo_sessions.begin() as session:
        queries.get_or_create_conversation(
            session, channel="widget", sender_id=WIDGET_CHAT, language="de"
        )
        queries.get_or_create_conversation(
            session, channel="whatsapp", sender_id=WHATSAPP_CHAT, language="de"
        )
    return demo_sessions


async def run(action: Any, tracker: Tracker) -> tuple[list[str], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return said(dispatcher), events


async def test_thanks_after_an_answer_asks_once_then_just_says_you_are_welcome(
    chats: sessionmaker[Session],
) -> None:
    first, events = await run(ActionOfferRating(), tracker("thank", "danke", events=ANSWERED))
    assert first == ["utter_ask_csat"]
    assert slots(events) == {"rating_requested": True, "feedback_kind": "csat"}

    again, events = await run(ActionOfferRating(), tracker("goodbye", "tschüss", events=ANSWERED))
    assert again == ["utter_goodbye"] and events == []
    assert rows(chats) == [("csat", "asked", None, "thanks")]


@pytest.mark.parametrize(
    ("history", "active_loop", "slot_values"),
    [
        ([user("greet", "Hallo")], None, {}),
        (ANSWERED, {"name": "verification_form"}, {}),
        (ANSWERED, None, {"pending_request": "account_balance"}),
        (ANSWERED + [{"event": "session_started"}], None, {}),
    ],
    ids=["nothing answered", "inside a form", "verification pending", "new session"],
)
async def test_no_rating_question_without_an_answer_or_inside_a_flow(
    chats: sessionmaker[Session],
    history: list[dict[str, Any]],
    active_loop: dict[str, Any] | None,
    slot_values: dict[str, Any],
) -> None:
    replies, _ = await run(
        ActionOfferRating(),
        tracker("thank", "danke", events=history, active_loop=active_loop, slots=slot_values),
    )
    assert replies == ["utter_you_are_welcome"]
    assert rows(chats) == []


async def test_a_good_rating_is_stored_and_followed_by_the_comment_question(
    chats: sessionmaker[Session],
) -> None:
    await run(ActionOfferRating(), tracker("thank", "danke", events=ANSWERED))
    csat = {"feedback_kind": "csat", "rating_requested": True}
    replies, events = await run(
        ActionReceiveRating(), tracker("rate", "5 Sterne!", slots=csat, events=ANSWERED)
    )
    assert replies == []
    assert slots(events) == {"rating_requested": False, "feedback_score": 5, "low_rating": False}

    asked, _ = await run(
        ActionAskFeedbackComment(), tracker("rate", slots={**csat, "feedback_score": 5})
    )
    assert asked == ["utter_rating_thanks_high"]
    comment = "<script>alert(1)</script> sehr nett"
    stored, events = await run(
        ActionStoreFeedbackComment(), tracker("thank", comment, slots={"feedback_comment": comment})
    )
    assert stored == ["utter_feedback_comment_stored"]
    assert slots(events)["rating_requested"] is False
    with chats() as session:
        row = session.scalars(select(Feedback)).one()
        assert (row.score, row.comment, row.status) == (5, comment, "rated")


async def test_a_low_rating_gets_the_apology_and_accepting_the_person_hands_off(
    chats: sessionmaker[Session],
) -> None:
    await run(ActionOfferRating(), tracker("thank", "thanks", events=ANSWERED))
    csat = {"feedback_kind": "csat", "rating_requested": True}
    _, events = await run(
        ActionReceiveRating(),
        tracker("rate", "/rate", entities=[{"entity": "score", "value": 1}], slots=csat),
    )
    assert slots(events)["low_rating"] is True
    low = {**csat, "feedback_score": 1, "low_rating": True}
    asked, _ = await run(ActionAskFeedbackComment(), tracker("rate", slots=low))
    assert asked == ["utter_rating_low"]

    replies, events = await run(ActionRequestHuman(), tracker("request_human", slots=low))
    assert replies == ["utter_handoff_in_hours"]
    assert slots(events) == {"low_rating": False}
    with chats() as session:
        assert session.scalars(select(Handoff.reason)).all() == ["low_rating"]


async def test_a_person_helped_csat_then_ces(chats: sessionmaker[Session]) -> None:
    with chats.begin() as session:
        conversation = queries.find_conversation(session, sender_id=WIDGET_CHAT)
        assert conversation is not None
        session.add(
            Handoff(
                conversation_id=conversation.id,
                reason="asked_for_person",
                status="closed",
                requested_at=MONDAY_10_BERLIN,
                closed_at=MONDAY_10_BERLIN,
            )
        )
    asked, _ = await run(ActionOfferRating(), tracker("handoff_closed", "/handoff_closed"))
    assert asked == ["utter_ask_csat_human"]
    csat = {"feedback_kind": "csat", "rating_requested": True}
    replies, events = await run(ActionReceiveRating(), tracker("rate", "4", slots=csat))
    assert replies == ["utter_ask_ces"]
    assert slots(events) == {"rating_requested": True, "feedback_kind": "ces"}

    ces = {"feedback_kind": "ces", "rating_requested": True}
    _, events = await run(ActionReceiveRating(), tracker("rate", "7", slots=ces))
    assert slots(events)["rating_requested"] is False
    assert rows(chats) == [("csat", "rated", 4, "handoff"), ("ces", "rated", 7, "handoff")]
    with chats() as session:
        assert all(f.handled_by_human for f in session.scalars(select(Feedback)))


async def test_nps_on_request_and_a_promoter_is_invited_to_review(
    chats: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEW_URL", "https://reviews.example/nordlicht")
    asked, events = await run(ActionAskNps(), tracker("give_feedback", "Feedback geben"))
    assert asked == ["utter_ask_nps"] and slots(events)["feedback_kind"] == "nps"
    nps = {"feedback_kind": "nps", "rating_requested": True}
    await run(ActionReceiveRating(), tracker("rate", "eine glatte 10", slots=nps))
    dispatcher = CollectingDispatcher()
    await ActionAskFeedbackComment().run(
        dispatcher, tracker("rate", slots={**nps, "feedback_score": 10}), {}
    )
    [message] = dispatcher.messages
    assert message["response"] == "utter_rating_promoter"
    assert message["review_url"] == "https://reviews.example/nordlicht"
    assert rows(chats) == [("nps", "rated", 10, "request")]


async def test_an_unreadable_score_is_asked_again_and_no_thanks_is_kept(
    chats: sessionmaker[Session],
) -> None:
    await run(ActionOfferRating(), tracker("thank", "danke", events=ANSWERED))
    csat = {"feedback_kind": "csat", "rating_requested": True}
    replies, events = await run(ActionReceiveRating(), tracker("nlu_fallback", "hmm", slots=csat))
    assert replies == ["utter_rating_not_understood"] and events == []
    replies, _ = await run(ActionDeclineRating(), tracker("deny", "nein danke", slots=csat))
    assert replies == ["utter_rating_declined"]
    assert rows(chats) == [("csat", "declined", None, "thanks")]


async def test_a_complaint_is_queued_as_such(chats: sessionmaker[Session]) -> None:
    await run(ActionRequestHuman(), tracker("complaint", "Lieferung kaputt, Frechheit"))
    with chats() as session:
        assert session.scalars(select(Handoff.reason)).all() == ["complaint"]


@pytest.mark.parametrize(
    ("sender", "response", "phone"),
    [
        (WHATSAPP_CHAT, "utter_callback_with_number", "+491701234567"),
        (WIDGET_CHAT, "utter_callback_ask_number", None),
    ],
)
async def test_a_callback_is_queued_with_the_number_when_one_is_known(
    chats: sessionmaker[Session], sender: str, response: str, phone: str | None
) -> None:
    dispatcher = CollectingDispatcher()
    await ActionRequestCallback().run(
        dispatcher, tracker("request_callback", "ruft mich an", sender=sender), {}
    )
    [message] = dispatcher.messages
    assert message["response"] == response and message.get("phone") == phone
    with chats() as session:
        [handoff] = session.scalars(select(Handoff)).all()
        assert handoff.reason == "callback" and handoff.conversation.mode == "queued"
