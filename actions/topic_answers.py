"""Answers on FAQ and Club topics by name: the further questions of a message that asks
several, a topic chosen with a button. Shared by the topic actions (actions/topics.py) and
the handoff (actions/handoff.py), which answers a question asked beside "a person, please"
before it hands over."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.club import utter_club_topic
from bot.question_segments import HAND_OVER, QUESTIONS

MOST_FURTHER_ANSWERS = 3
# The payload of the button an answer offers to reach the team with.
TEAM_PAYLOAD = "/request_human"


async def utter_topics(
    dispatcher: CollectingDispatcher, tracker: Tracker, topics: list[str]
) -> None:
    """The answers on several topics, in order, in the conversation's language."""
    language = tracker.get_slot("language") or "de"
    for topic in topics:
        await utter_topic(dispatcher, topic, language)


async def utter_topic(dispatcher: CollectingDispatcher, topic: str, language: str) -> None:
    """The answer on an faq/ or club/ topic; Club answers carry the database's numbers."""
    if topic.startswith("club/"):
        await utter_club_topic(dispatcher, topic, language)
    else:
        dispatcher.utter_message(response=f"utter_{topic}")


def further_topics(parse_data: dict[str, Any], responses: dict[str, Any]) -> list[str]:
    """The topics with an answer that a message asked about besides the one already
    answered for its intent."""
    intent = (parse_data.get("intent") or {}).get("name")
    selected = ((parse_data.get("response_selector") or {}).get(intent) or {}).get("response")
    answered = (selected or {}).get("intent_response_key")
    asked = [
        topic
        for topic in parse_data.get(QUESTIONS) or []
        if topic != answered and f"utter_{topic}" in responses
    ]
    return asked[:MOST_FURTHER_ANSWERS]


def handoff_reason(parse_data: dict[str, Any]) -> str | None:
    """Why a person should take over after the answers, where one part of a message asked
    for a person ("Wie ist eure E-Mail? Und ich will mit jemandem sprechen."), whatever
    the whole message reads as: a question, "are you a bot?", or not understood at all.
    None where no part did."""
    reason = parse_data.get(HAND_OVER)
    return str(reason) if reason else None


def before_handoff(topics: list[str], responses: dict[str, Any]) -> list[str]:
    """The topics worth answering when a person takes over next: not those whose answer
    offers the way to the team ("Wo ist mein Paket?"), which the handoff already is."""
    return [
        topic
        for topic in topics
        if not any(
            button.get("payload") == TEAM_PAYLOAD
            for variant in responses.get(f"utter_{topic}") or []
            for button in variant.get("buttons") or []
        )
    ]
