"""Custom actions run against a real database and return the right responses and events."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import database
from actions.club import ActionClubAnswer
from actions.slot_mappings import ValidateSlotMappings
from bot.formatting import format_euros, format_number

DOMAIN: dict[str, Any] = {
    "slots": {"language": {"type": "categorical", "mappings": [{"type": "custom"}]}}
}


def tracker(
    *,
    language: str | None = "de",
    metadata: dict[str, Any] | None = None,
    club_topic: str | None = None,
) -> Tracker:
    selector = {"club": {"response": {"intent_response_key": club_topic}}} if club_topic else {}
    return Tracker(
        sender_id="rest:test",
        slots={"language": language},
        latest_message={
            "text": "x",
            "intent": {"name": "club"},
            "metadata": metadata or {},
            "response_selector": selector,
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.mark.usefixtures("action_database", "demo_sessions")
@pytest.mark.parametrize(
    ("language", "tiers", "rewards"),
    [
        (
            "de",
            "Bronze (0+), Silber (500+), Gold (1.500+)",
            "500 → 5 €, 1.000 → 12 €, 2.500 → 35 €",
        ),
        ("en", "Bronze (0+), Silver (500+), Gold (1,500+)", "500 → €5, 1,000 → €12, 2,500 → €35"),
    ],
)
async def test_club_overview_is_filled_from_the_database(
    language: str, tiers: str, rewards: str
) -> None:
    dispatcher = CollectingDispatcher()

    events = await ActionClubAnswer().run(dispatcher, tracker(language=language), DOMAIN)

    assert events == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_club/overview"
    assert message["tiers"] == tiers
    assert message["rewards"] == rewards
    assert (message["welcome_bonus"], message["points_per_euro"], message["validity_months"]) == (
        "100",
        "1",
        "24",
    )
    assert message["first_reward_points"] == "500"
    assert (message["programme"], message["voucher_days"]) == ("Nordlicht Club", "90")


@pytest.mark.usefixtures("action_database", "demo_sessions")
@pytest.mark.parametrize(
    "topic",
    [
        "club/join",
        "club/earn_points",
        "club/points_validity",
        "club/tiers",
        "club/rewards",
        "club/birthday",
    ],
)
async def test_club_topic_chosen_by_the_response_selector_is_uttered(topic: str) -> None:
    dispatcher = CollectingDispatcher()

    await ActionClubAnswer().run(dispatcher, tracker(club_topic=topic), DOMAIN)

    [message] = dispatcher.messages
    assert message["response"] == f"utter_{topic}"
    expected = {"tier_silver_name": "Silber", "tier_gold_min": "1.500", "tier_gold_birthday": "250"}
    assert expected.items() <= message.items()


async def test_club_answer_apologises_when_the_database_is_unusable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.sqlite'}")
    database.session_factory.cache_clear()
    dispatcher = CollectingDispatcher()
    try:
        events = await ActionClubAnswer().run(dispatcher, tracker(), DOMAIN)
    finally:
        database.session_factory().kw["bind"].dispose()
        database.session_factory.cache_clear()

    assert events == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_club_unavailable"]


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"language": "en"}, [SlotSet("language", "en")]),
        ({"language": "de"}, [SlotSet("language", "de")]),
        ({"language": "fr"}, []),
        ({}, []),
    ],
)
async def test_language_slot_follows_the_gateway(
    metadata: dict[str, Any], expected: list[dict[str, Any]]
) -> None:
    events = await ValidateSlotMappings().run(
        CollectingDispatcher(), tracker(language="de", metadata=metadata), DOMAIN
    )
    assert events == expected


async def test_customer_slots_follow_the_gateway_without_warnings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    domain = {
        "slots": {
            name: {"type": "any", "mappings": [{"type": "custom"}]}
            for name in ("language", "customer_verified", "first_name")
        }
    }
    customer = {"verified": True, "first_name": "Anna"}
    with caplog.at_level(logging.WARNING):
        events = await ValidateSlotMappings().run(
            CollectingDispatcher(), tracker(metadata={"customer": customer}), domain
        )
    assert events == [SlotSet("customer_verified", True), SlotSet("first_name", "Anna")]
    assert caplog.records == []


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [(0, "de", "0"), (1250, "de", "1.250"), (1250, "en", "1,250"), (1234567, "de", "1.234.567")],
)
def test_format_number(value: int, language: str, expected: str) -> None:
    assert format_number(value, language) == expected


@pytest.mark.parametrize(
    ("cents", "language", "expected"),
    [(495, "de", "4,95 €"), (495, "en", "€4.95"), (1200, "de", "12 €"), (150000, "en", "€1,500")],
)
def test_format_euros(cents: int, language: str, expected: str) -> None:
    assert format_euros(cents, language) == expected
