"""The linear intent classifier and topic selector learn from examples in both languages,
answer new wordings and the other language's, read back from Rasa's model storage
unchanged, and train to the same model from the same data (they have no seed); the topic
selector answers in Rasa's response-selector format, so Rasa's own `utter_faq`/`utter_club`
actions answer from it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import PROJECT, require_rasa, run_in_rasa

pytestmark = pytest.mark.e2e

PROBE = PROJECT / "tests" / "e2e" / "linear_probe.py"

INTENT_EXAMPLES = {
    "shipping": [
        "Was kostet der Versand?",
        "Wie hoch sind die Versandkosten nach Österreich?",
        "versand kosten?",
        "How much is shipping?",
        "What does delivery to Switzerland cost?",
    ],
    "returns": [
        "Wie kann ich etwas zurückschicken?",
        "Rücksendung, wie geht das?",
        "rueckgabe moeglich?",
        "How do I return an item?",
        "Can I send my order back?",
    ],
    "greet": ["Hallo", "Guten Morgen", "Moin!", "Hello", "Hi there", "Good evening"],
}

TOPIC_EXAMPLES = {
    "faq/shipping_costs": [
        "Was kostet der Versand?",
        "Wie hoch sind die Versandkosten nach Österreich?",
        "versand kosten?",
        "How much is shipping?",
        "What does delivery to Switzerland cost?",
    ],
    "faq/returns": [
        "Wie kann ich etwas zurückschicken?",
        "Rücksendung, wie geht das?",
        "rueckgabe moeglich?",
        "How do I return an item?",
        "Can I send my order back?",
    ],
    "club/earn_points": [
        "Wie viele Punkte bekomme ich pro Euro?",
        "Wie sammle ich Punkte?",
        "punkte pro einkauf?",
        "How many points do I get per euro?",
        "How do I collect points?",
    ],
    "club/rewards": [
        "Was kann ich mit meinen Punkten einlösen?",
        "Welche Prämien gibt es?",
        "gutschein fuer punkte?",
        "What rewards can I get?",
        "What can I redeem my points for?",
    ],
    "club/join": [
        "Wie werde ich Mitglied im Club?",
        "Anmeldung zum Club",
        "How do I join the club?",
        "Sign me up for the loyalty programme",
    ],
    "chitchat/are_you_a_bot": [
        "Bist du ein Bot?",
        "Rede ich mit einem Menschen?",
        "Are you a robot?",
        "Am I talking to a real person?",
    ],
    "greet": ["Hallo", "Guten Morgen", "Hello", "Hi there"],
}


def parses(
    component: str, examples: dict[str, list[str]], texts: list[str], *lookups: str
) -> dict[str, list[dict[str, Any]]]:
    return dict(run_in_rasa(PROBE, component, json.dumps(examples), json.dumps(texts), *lookups))


def test_new_wordings_get_their_intent_with_a_sorted_ranking() -> None:
    require_rasa()
    texts = ["wieviel kostet die lieferung", "I want to send this back", "hallo zusammen", ""]

    result = parses("intents", INTENT_EXAMPLES, texts)

    *answered, empty = result["trained"]
    assert [p["intent"]["name"] for p in answered] == ["shipping", "returns", "greet"]
    assert empty["intent"] == {"name": None, "confidence": 0.0}, "Rasa's fallback reads it"
    assert empty["intent_ranking"] == []
    for parse in answered:
        confidences = [label["confidence"] for label in parse["intent_ranking"]]
        assert confidences == sorted(confidences, reverse=True)
        assert parse["intent"] == parse["intent_ranking"][0]
        assert sum(confidences) == pytest.approx(1.0)
    assert result["loaded"] == result["trained"]
    assert result["retrained"] == result["trained"], "the same data gave another model"


def test_each_retrieval_intent_gets_its_topic_in_rasas_format() -> None:
    require_rasa()
    texts = [
        "wieviel kostet die lieferung",
        "I want to send this back",
        "welche praemien gibts",
        "bist du echt?",
    ]

    result = parses("topics", TOPIC_EXAMPLES, texts)

    expected = ["faq/shipping_costs", "faq/returns", "club/rewards", "chitchat/are_you_a_bot"]
    for parse, topic in zip(result["trained"], expected, strict=True):
        selectors = parse["response_selector"]
        assert selectors["all_retrieval_intents"] == ["chitchat", "club", "faq"]
        retrieval_intent = topic.partition("/")[0]
        chosen = selectors[retrieval_intent]["response"]
        assert chosen["intent_response_key"] == topic
        assert chosen["utter_action"] == f"utter_{topic}"
        assert chosen["responses"] == [{"text": f"answer for {topic}"}]
        ranking = selectors[retrieval_intent]["ranking"]
        assert ranking[0] == {"confidence": chosen["confidence"], "intent_response_key": topic}
        confidences = [label["confidence"] for label in ranking]
        assert confidences == sorted(confidences, reverse=True)
        assert sum(confidences) == pytest.approx(1.0)
        assert {label["intent_response_key"] for label in ranking} == {
            label for label in TOPIC_EXAMPLES if label.startswith(f"{retrieval_intent}/")
        }
        assert parse["retrieval_actions"][retrieval_intent] == f"utter_{topic}"
    only_topic = result["trained"][0]["response_selector"]["chitchat"]["response"]
    assert only_topic["intent_response_key"] == "chitchat/are_you_a_bot"
    assert only_topic["confidence"] == 1.0, "a retrieval intent with one topic has no doubt"
    assert result["loaded"] == result["trained"]
    assert result["retrained"] == result["trained"], "the same data gave another model"


def test_several_questions_are_answered_in_the_order_they_were_asked() -> None:
    """Whichever of its questions the whole message reads as, Rasa's `utter_faq` answers
    the first one asked, and the parse lists them all in order for the action after it."""
    require_rasa()
    shipping, returns = "faq/shipping_costs", "faq/returns"
    asked = {
        "Wie kann ich etwas zurückschicken? Und was kostet der Versand?": [returns, shipping],
        "Was kostet der Versand? Und wie kann ich etwas zurückschicken?": [shipping, returns],
        "How do I return an item, and how much is shipping?": [returns, shipping],
        "How much is shipping, and how do I return an item?": [shipping, returns],
    }

    result = parses("questions", TOPIC_EXAMPLES, list(asked))

    reordered = 0
    for parse, topics in zip(result["trained"], asked.values(), strict=True):
        assert parse["intent"]["name"] == "faq", parse["text"]
        assert parse["questions"] == topics, parse["text"]
        chosen = parse["response_selector"]["faq"]["response"]
        assert chosen["intent_response_key"] == topics[0], parse["text"]
        assert chosen["responses"] == [{"text": f"answer for {topics[0]}"}]
        assert parse["retrieval_actions"]["faq"] == f"utter_{topics[0]}"
        ranking = parse["response_selector"]["faq"]["ranking"]
        assert {"confidence": chosen["confidence"], "intent_response_key": topics[0]} in ranking
        reordered += ranking[0]["intent_response_key"] != topics[0]
    assert reordered, "every message read as its first question: the reordering went untested"
    assert result["loaded"] == result["trained"]
    assert result["retrained"] == result["trained"], "the same data gave another model"


SHIPPING_EXAMPLES = {
    "faq/shipping_germany": [
        "Was kostet der Versand nach Hamburg?",
        "Ich wohne in Köln, wie lange dauert das?",
        "How long does delivery to Berlin take?",
        "What does shipping to Munich cost?",
        "Versand innerhalb Deutschlands?",
    ],
    "faq/shipping_abroad": [
        "Was kostet der Versand nach Wien?",
        "Ich wohne in Zürich, wie lange dauert das?",
        "How long does delivery to Zurich take?",
        "What does shipping to Vienna cost?",
        "Versand nach Österreich?",
    ],
}


def test_the_shops_place_lists_tell_which_country_a_town_is_in() -> None:
    """Both countries have examples of each wording; the messages name towns no example
    names. data/lookups/places.yml knows their country: with it, each is surer of the
    right one (without, the sentence encoder's sense of geography guesses)."""
    require_rasa()
    texts = [
        "Was kostet der Versand nach Dornbirn?",
        "Ich wohne in Passau, wie lange dauert das?",
        "How long does delivery to Lugano take?",
        "What does shipping to Schwerin cost?",
    ]
    expected = [
        "faq/shipping_abroad",
        "faq/shipping_germany",
        "faq/shipping_abroad",
        "faq/shipping_germany",
    ]
    lookups = str(PROJECT / "data" / "lookups" / "places.yml")

    with_places = parses("topics", SHIPPING_EXAMPLES, texts, lookups)
    without_places = parses("topics", SHIPPING_EXAMPLES, texts)

    def topics(run: list[dict[str, Any]]) -> list[str]:
        return [p["response_selector"]["faq"]["response"]["intent_response_key"] for p in run]

    def certainty(run: list[dict[str, Any]]) -> list[float]:
        """Each message's confidence in its expected topic."""
        return [
            next(
                label["confidence"]
                for label in parse["response_selector"]["faq"]["ranking"]
                if label["intent_response_key"] == topic
            )
            for parse, topic in zip(run, expected, strict=True)
        ]

    assert topics(with_places["trained"]) == expected
    for known, guessed in zip(
        certainty(with_places["trained"]), certainty(without_places["trained"]), strict=True
    ):
        assert known > guessed + 0.05, "the place lists made no difference"
    assert with_places["loaded"] == with_places["trained"]
