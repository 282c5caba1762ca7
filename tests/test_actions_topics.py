"""Topic buttons, further questions in one message, and the clarifying question for misses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.topic_answers import further_topics
from actions.topics import (
    ActionAnswerFurtherQuestions,
    ActionAnswerTopic,
    ActionClarify,
    likely_topics,
    previous_message_was_a_miss,
    topic_title_response,
)

PROJECT = Path(__file__).resolve().parent.parent


def load_domain() -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for file in sorted((PROJECT / "domain").glob("*.yml")):
        responses.update(yaml.safe_load(file.read_text(encoding="utf-8")).get("responses") or {})
    return {"responses": responses}


DOMAIN = load_domain()


def parse_data(
    intents: dict[str, float], faq: dict[str, float], club: dict[str, float]
) -> dict[str, Any]:
    def ranking(topics: dict[str, float]) -> dict[str, Any]:
        return {"ranking": [{"intent_response_key": k, "confidence": v} for k, v in topics.items()]}

    return {
        "intent": {"name": "nlu_fallback", "confidence": 0.6},
        "intent_ranking": [{"name": k, "confidence": v} for k, v in intents.items()],
        "response_selector": {"faq": ranking(faq), "club": ranking(club)},
    }


def user(intent: str, parse: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"event": "user", "text": "x", "parse_data": parse or {"intent": {"name": intent}}}


def tracker(events: list[dict[str, Any]], *, language: str = "de", entities: Any = ()) -> Tracker:
    latest = dict(events[-1]["parse_data"]) if events else {}
    latest["entities"] = list(entities)
    return Tracker(
        "rest:t", {"language": language}, latest, events, False, None, {}, "action_listen"
    )


UNCLEAR = parse_data(
    {"nlu_fallback": 0.6, "faq": 0.35, "club": 0.3, "greet": 0.05},
    {"faq/returns": 0.7, "faq/refund": 0.25, "faq/contact": 0.05},
    {"club/rewards": 0.9, "club/tiers": 0.1},
)


def test_likely_topics_combine_intent_and_selector_confidence() -> None:
    assert likely_topics(UNCLEAR)[:3] == ["club/rewards", "faq/returns", "faq/refund"]


def test_every_topic_the_selectors_know_has_a_button_title() -> None:
    topics = [
        k
        for file in ("faq", "club")
        for k in yaml.safe_load((PROJECT / "domain" / f"{file}.yml").read_text())["responses"]
        if k.startswith(("utter_faq/", "utter_club/"))
    ]
    missing = [
        t
        for t in topics
        if topic_title_response(t.removeprefix("utter_")) not in DOMAIN["responses"]
    ]
    assert len(topics) == 19 and missing == []


@pytest.mark.parametrize(
    ("language", "titles"),
    [("de", ["Prämien und Gutscheine", "Rückgabe"]), ("en", ["Rewards and vouchers", "Returns"])],
)
async def test_first_miss_offers_the_two_likeliest_topics(language: str, titles: list[str]) -> None:
    dispatcher = CollectingDispatcher()

    await ActionClarify().run(
        dispatcher, tracker([user("greet"), user("", UNCLEAR)], language=language), DOMAIN
    )

    [message] = dispatcher.messages
    assert message["response"] == "utter_clarify"
    assert [b["title"] for b in message["buttons"]] == titles
    assert message["buttons"][1]["payload"] == '/choose_topic{"topic": "faq/returns"}'


def test_a_miss_after_an_understood_message_is_a_first_miss() -> None:
    events = [user("nlu_fallback"), user("faq"), user("nlu_fallback")]
    assert not previous_message_was_a_miss(events)
    assert previous_message_was_a_miss([*events, user("nlu_fallback")])


@pytest.mark.parametrize(
    ("topic", "response"),
    [("faq/returns", "utter_faq/returns"), ("faq/shipping_abroad", "utter_faq/shipping_abroad")],
)
async def test_chosen_faq_topic_is_answered(topic: str, response: str) -> None:
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "topic", "value": topic}]

    await ActionAnswerTopic().run(
        dispatcher, tracker([user("choose_topic")], entities=entities), DOMAIN
    )

    assert [m["response"] for m in dispatcher.messages] == [response]


@pytest.mark.parametrize("entities", [[], [{"entity": "topic", "value": "faq/no_such_topic"}]])
async def test_unknown_or_missing_topic_shows_the_menu(entities: list[dict[str, Any]]) -> None:
    dispatcher = CollectingDispatcher()

    await ActionAnswerTopic().run(
        dispatcher, tracker([user("choose_topic")], entities=entities), DOMAIN
    )

    assert [m["response"] for m in dispatcher.messages] == ["utter_help"]


def asked(answered: str, questions: list[str]) -> dict[str, Any]:
    """Parse data of a message whose intent's topic was `answered` and which asked `questions`."""
    intent = answered.split("/")[0]
    return {
        "intent": {"name": intent, "confidence": 0.9},
        "response_selector": {intent: {"response": {"intent_response_key": answered}}},
        "questions": questions,
    }


async def test_further_questions_are_answered_in_the_customers_order() -> None:
    dispatcher = CollectingDispatcher()
    parse = asked("faq/returns", ["faq/shipping_abroad", "faq/returns", "faq/invoice"])

    await ActionAnswerFurtherQuestions().run(
        dispatcher, tracker([user("faq", parse)], language="en"), DOMAIN
    )

    assert [m["response"] for m in dispatcher.messages] == [
        "utter_faq/shipping_abroad",
        "utter_faq/invoice",
    ]


@pytest.mark.parametrize(
    "parse",
    [
        {"intent": {"name": "faq"}},
        asked("faq/returns", []),
        asked("faq/returns", ["faq/returns"]),
        asked("faq/returns", ["faq/no_longer_a_topic"]),
    ],
)
async def test_a_message_with_one_question_gets_no_further_answer(parse: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()

    await ActionAnswerFurtherQuestions().run(dispatcher, tracker([user("faq", parse)]), DOMAIN)

    assert dispatcher.messages == []


def test_at_most_three_further_answers() -> None:
    many = ["faq/store_hours", "faq/contact", "faq/invoice", "faq/refund", "faq/returns"]
    assert further_topics(asked("club/rewards", many), DOMAIN["responses"]) == many[:3]
    unknown_first = ["faq/no_longer_a_topic", *many]
    assert further_topics(asked("club/rewards", unknown_first), DOMAIN["responses"]) == many[:3]


def test_a_topic_of_another_retrieval_intent_counts_as_not_yet_answered() -> None:
    parse = asked("club/earn_points", ["club/earn_points", "faq/shipping_germany"])
    assert further_topics(parse, DOMAIN["responses"]) == ["faq/shipping_germany"]


MIXED = {
    **UNCLEAR,
    "questions": ["faq/shipping_germany", "faq/returns"],
}


async def test_an_unclear_message_whose_questions_were_clear_gets_the_answers() -> None:
    dispatcher = CollectingDispatcher()

    await ActionClarify().run(dispatcher, tracker([user("", MIXED)]), DOMAIN)

    assert [m["response"] for m in dispatcher.messages] == [
        "utter_faq/shipping_germany",
        "utter_faq/returns",
    ]


async def test_an_unclear_message_with_one_clear_question_beside_a_bot_question_gets_it() -> None:
    """ "Bist du ein Bot? Und was kostet der Versand?" can read as unclear, the two intents
    being close; the pipeline listed its one clear question."""
    dispatcher = CollectingDispatcher()
    beside_bot = {**UNCLEAR, "questions": ["faq/shipping_germany"]}

    await ActionClarify().run(dispatcher, tracker([user("", beside_bot)]), DOMAIN)

    assert [m["response"] for m in dispatcher.messages] == ["utter_faq/shipping_germany"]


def test_a_message_whose_questions_were_answered_is_no_miss() -> None:
    assert not previous_message_was_a_miss([user("", MIXED), user("nlu_fallback")])
    assert previous_message_was_a_miss([user("", UNCLEAR), user("nlu_fallback")])
