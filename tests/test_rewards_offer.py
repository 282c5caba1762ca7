"""The button to redeem ends a reply that showed the rewards, and the rewards are not shown
twice in a row."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.topics import ActionAnswerFurtherQuestions, ActionAnswerTopic, ActionClarify
from actions.verification import ActionRememberRequest
from tests.test_actions_topics import DOMAIN, UNCLEAR, asked

REWARDS = asked("club/rewards", [])


def user(parse: dict[str, Any]) -> dict[str, Any]:
    return {"event": "user", "text": "x", "parse_data": parse}


def bot(response: str) -> dict[str, Any]:
    return {"event": "bot", "text": "x", "metadata": {"utter_action": response}}


def tracker(events: list[dict[str, Any]], *, active_loop: str | None = None) -> Tracker:
    latest = dict(next(e for e in reversed(events) if e["event"] == "user")["parse_data"])
    return Tracker(
        sender_id="rest:rewards",
        slots={"language": "de", "customer_verified": False},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


async def responses(action: Any, track: Tracker) -> list[str]:
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, track, DOMAIN)
    return [str(m["response"]) for m in dispatcher.messages]


async def test_the_reply_that_showed_the_rewards_ends_with_the_button() -> None:
    shown = tracker([user(REWARDS), bot("utter_club/rewards")])
    assert await responses(ActionAnswerFurtherQuestions(), shown) == ["utter_offer_redeem"]


async def test_the_button_comes_after_the_further_answers() -> None:
    parse = asked("club/rewards", ["club/rewards", "faq/shipping_germany"])
    shown = tracker([user(parse), bot("utter_club/rewards")])
    assert await responses(ActionAnswerFurtherQuestions(), shown) == [
        "utter_faq/shipping_germany",
        "utter_offer_redeem",
    ]


@pytest.mark.parametrize(
    ("events", "active_loop"),
    [
        ([user(asked("club/tiers", [])), bot("utter_club/tiers")], None),
        ([user(REWARDS), bot("utter_club/rewards")], "verification_form"),
        # The rewards were the previous reply, not this one.
        ([user(REWARDS), bot("utter_club/rewards"), user(asked("faq/returns", []))], None),
    ],
)
async def test_no_button_without_the_rewards_in_this_reply_or_while_a_form_waits(
    events: list[dict[str, Any]], active_loop: str | None
) -> None:
    track = tracker(events, active_loop=active_loop)
    assert await responses(ActionAnswerFurtherQuestions(), track) == []


@pytest.mark.usefixtures("action_database", "demo_sessions")
async def test_the_rewards_chosen_with_a_topic_button_end_with_the_button_too() -> None:
    chosen = tracker([user({"intent": {"name": "choose_topic"}})])
    chosen.latest_message["entities"] = [{"entity": "topic", "value": "club/rewards"}]
    assert await responses(ActionAnswerTopic(), chosen) == [
        "utter_club/rewards",
        "utter_offer_redeem",
    ]


@pytest.mark.usefixtures("action_database", "demo_sessions")
async def test_the_rewards_among_the_clear_questions_of_an_unclear_message_too() -> None:
    mixed = tracker([user({**UNCLEAR, "questions": ["club/rewards", "faq/returns"]})])
    assert await responses(ActionClarify(), mixed) == [
        "utter_club/rewards",
        "utter_faq/returns",
        "utter_offer_redeem",
    ]


def redeem(*before: dict[str, Any]) -> list[dict[str, Any]]:
    return [*before, user({"intent": {"name": "redeem_reward"}, "text": "/redeem_reward"})]


async def test_the_button_goes_straight_to_the_verification() -> None:
    dispatcher = CollectingDispatcher()
    track = tracker(redeem(user(REWARDS), bot("utter_club/rewards"), bot("utter_offer_redeem")))

    events = await ActionRememberRequest().run(dispatcher, track, DOMAIN)

    assert dispatcher.messages == []
    assert events[0] == SlotSet("pending_request", "redeem_reward")
    assert SlotSet("member_number", None) in events


async def test_a_second_tap_during_the_verification_keeps_its_details() -> None:
    dispatcher = CollectingDispatcher()
    track = tracker(redeem(), active_loop="verification_form")

    events = await ActionRememberRequest().run(dispatcher, track, DOMAIN)

    assert dispatcher.messages == []
    assert events == [SlotSet("pending_request", "redeem_reward")]
