"""Asking for a person: the conversation is queued and the customer hears what happens next."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions import handoff as handoff_actions
from actions.handoff import ActionRequestHuman, when_phrase
from actions.topics import ActionAnswerFurtherQuestions, ActionClarify
from bot.db import conversations as queries
from bot.db.orm import Handoff

MONDAY_10_BERLIN = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
SATURDAY_17_BERLIN = dt.datetime(2026, 11, 28, 16, 0, tzinfo=dt.timezone.utc)
SENDER = "widget:abc"


def tracker(language: str, events: list[dict[str, Any]] | None = None) -> Tracker:
    return Tracker(
        sender_id=SENDER,
        slots={"language": language},
        latest_message={"text": "x", "intent": {"name": "request_human"}, "metadata": {}},
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def user(intent: str, text: str = "…") -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def asked(intent: str, text: str, **parse: Any) -> Tracker:
    """A German conversation whose latest message, `text`, read as `intent`, with the rest
    of its parse (`questions`, `hand_over`, ...)."""
    track = tracker("de", [user(intent, text)])
    track.latest_message = {"text": text, "intent": {"name": intent}, **parse}
    return track


def answers_before_handoff(dispatcher: CollectingDispatcher) -> list[str]:
    """The responses sent before the handoff's message, which must be the last one."""
    *answers, handoff = [str(m["response"]) for m in dispatcher.messages]
    assert handoff.startswith("utter_handoff_")
    return answers


@pytest.fixture
def conversation(action_database: None, demo_sessions: sessionmaker[Session]) -> None:
    with demo_sessions.begin() as session:
        queries.get_or_create_conversation(
            session, channel="widget", sender_id=SENDER, language="de"
        )


@pytest.mark.usefixtures("conversation")
@pytest.mark.parametrize(
    ("moment", "language", "response", "detail"),
    [
        (MONDAY_10_BERLIN, "de", "utter_handoff_in_hours", ("minutes", 4)),
        (
            SATURDAY_17_BERLIN,
            "de",
            "utter_handoff_outside_hours",
            ("next_opening", "Montag um 08:00 Uhr"),
        ),
        (
            SATURDAY_17_BERLIN,
            "en",
            "utter_handoff_outside_hours",
            ("next_opening", "Monday at 08:00"),
        ),
    ],
)
async def test_the_customer_hears_when_a_person_answers(
    monkeypatch: pytest.MonkeyPatch,
    demo_sessions: sessionmaker[Session],
    moment: dt.datetime,
    language: str,
    response: str,
    detail: tuple[str, Any],
) -> None:
    monkeypatch.setattr(handoff_actions, "now", lambda: moment)
    dispatcher = CollectingDispatcher()
    events = [user("greet", "Hallo"), user("request_human", "Mensch bitte")]

    await ActionRequestHuman().run(dispatcher, tracker(language, events), {})

    [message] = dispatcher.messages
    assert message["response"] == response
    assert message[detail[0]] == detail[1]
    with demo_sessions() as session:
        item = session.scalars(select(Handoff)).one()
        assert (item.reason, item.conversation.mode) == ("asked_for_person", "queued")
        assert item.summary["last_messages"][-1] == {
            "text": "Mensch bitte",
            "intent": "request_human",
        }


def berlin(day: int, hour: int) -> dt.datetime:
    """A moment in November 2026, when Berlin is UTC+1."""
    return dt.datetime(2026, 11, day, hour - 1, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("opening", "current", "language", "expected"),
    [
        (berlin(23, 8), berlin(23, 6), "de", "heute um 08:00 Uhr"),
        (berlin(23, 8), berlin(23, 6), "en", "today at 08:00"),
        (berlin(28, 9), berlin(27, 21), "de", "morgen um 09:00 Uhr"),
        (berlin(28, 9), berlin(27, 21), "en", "tomorrow at 09:00"),
        (berlin(30, 8), berlin(28, 17), "de", "Montag um 08:00 Uhr"),
        (berlin(30, 8), berlin(28, 17), "fr", "Montag um 08:00 Uhr"),
    ],
)
def test_the_way_back_to_a_person_is_said_as_a_customer_would(
    opening: dt.datetime, current: dt.datetime, language: str, expected: str
) -> None:
    assert when_phrase(opening, current, language) == expected


def test_a_late_evening_counts_in_berlin_not_in_utc() -> None:
    # 00:30 in Berlin is still the previous day in UTC: the opening at 08:00 is "today".
    opening = dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.timezone.utc)
    current = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.timezone.utc)
    assert when_phrase(opening, current, "de") == "heute um 08:00 Uhr"


@pytest.mark.usefixtures("conversation")
async def test_a_second_miss_in_a_row_hands_over(demo_sessions: sessionmaker[Session]) -> None:
    dispatcher = CollectingDispatcher()
    events = [user("nlu_fallback"), user("nlu_fallback")]
    track = tracker("de", events)
    track.latest_message = {"text": "?", "intent": {"name": "nlu_fallback"}, "intent_ranking": []}

    await ActionClarify().run(dispatcher, track, {})

    assert dispatcher.messages[0]["response"] == "utter_offer_human"
    assert dispatcher.messages[1]["response"].startswith("utter_handoff_")
    with demo_sessions() as session:
        assert session.scalars(select(Handoff.reason)).one() == "not_understood"


@pytest.mark.usefixtures("action_database", "demo_sessions")
async def test_without_a_gateway_conversation_the_contact_data_is_given() -> None:
    dispatcher = CollectingDispatcher()
    await ActionRequestHuman().run(dispatcher, tracker("de"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_request_human"]


@pytest.mark.usefixtures("conversation")
async def test_a_question_asked_beside_a_person_is_answered_before_the_handoff() -> None:
    dispatcher = CollectingDispatcher()
    track = asked("request_human", "Mensch bitte. Und eure Mail?", questions=["faq/contact"])
    domain = {"responses": {"utter_faq/contact": [{"text": "service@…"}]}}

    await ActionRequestHuman().run(dispatcher, track, domain)

    assert answers_before_handoff(dispatcher) == ["utter_faq/contact"]


@pytest.mark.usefixtures("conversation")
@pytest.mark.parametrize(
    ("action", "intent", "answered"),
    [
        # The contact answer came from the rule before the action.
        (ActionAnswerFurtherQuestions(), "faq", ["utter_faq/returns"]),
        (ActionClarify(), "nlu_fallback", ["utter_faq/contact", "utter_faq/returns"]),
    ],
)
async def test_a_person_asked_for_beside_a_question_follows_its_answer(
    action: ActionAnswerFurtherQuestions | ActionClarify, intent: str, answered: list[str]
) -> None:
    dispatcher = CollectingDispatcher()
    text = "Wie ist eure Mail? Und ich will mit jemandem sprechen."
    track = asked(
        intent,
        text,
        response_selector={"faq": {"response": {"intent_response_key": "faq/contact"}}},
        questions=["faq/contact", "faq/returns"],
        hand_over="asked_for_person",
    )
    domain = {"responses": {f"utter_faq/{t}": [{"text": "…"}] for t in ("contact", "returns")}}

    await action.run(dispatcher, track, domain)

    assert answers_before_handoff(dispatcher) == answered


@pytest.mark.usefixtures("conversation")
async def test_in_the_verification_form_a_person_asked_for_beside_a_question_waits() -> None:
    dispatcher = CollectingDispatcher()
    text = "Wie ist eure Mail? Und ich will mit jemandem sprechen."
    track = asked("faq", text, questions=["faq/returns"], hand_over="asked_for_person")
    track.active_loop = {"name": "verification_form"}
    domain = {"responses": {"utter_faq/returns": [{"text": "…"}]}}

    await ActionAnswerFurtherQuestions().run(dispatcher, track, domain)

    # The form asks for the member number next; a handoff now would talk over it.
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq/returns"]


@pytest.mark.usefixtures("conversation")
async def test_a_complaint_gets_its_question_answered_but_no_offer_of_the_team(
    demo_sessions: sessionmaker[Session],
) -> None:
    dispatcher = CollectingDispatcher()
    text = "Das Sofa kam kaputt an! Wo ist mein Paket und wann kommt mein Geld?"
    track = asked("complaint", text, questions=["faq/order_status", "faq/refund"])
    team = {"title": "Mit dem Team sprechen", "payload": "/request_human"}
    domain = {
        "responses": {
            "utter_faq/order_status": [{"text": "…", "buttons": [team]}],
            "utter_faq/refund": [{"text": "…"}],
        }
    }

    await ActionRequestHuman().run(dispatcher, track, domain)

    assert answers_before_handoff(dispatcher) == ["utter_faq/refund"]
    with demo_sessions() as session:
        assert session.scalars(select(Handoff.reason)).one() == "complaint"


@pytest.mark.usefixtures("conversation")
async def test_after_are_you_a_bot_a_question_and_a_person_asked_for_are_both_served(
    demo_sessions: sessionmaker[Session],
) -> None:
    dispatcher = CollectingDispatcher()
    text = "Bist du ein Bot? Wie kann ich was zurückschicken? Ich will einen Menschen."
    track = asked("bot_challenge", text, questions=["faq/returns"], hand_over="asked_for_person")
    domain = {"responses": {"utter_faq/returns": [{"text": "…"}]}}

    await ActionAnswerFurtherQuestions().run(dispatcher, track, domain)

    assert answers_before_handoff(dispatcher) == ["utter_faq/returns"]
    with demo_sessions() as session:
        assert session.scalars(select(Handoff.reason)).one() == "asked_for_person"
