"""Scoring of held-out predictions, and how a Rasa parse becomes a full intent."""

from __future__ import annotations

import pytest

from bot.evaluation import render_summary, target_misses
from bot.nlu_scores import Prediction, full_intent, score


def p(gold: str, predicted: str) -> Prediction:
    return Prediction(gold, predicted, "text")


def test_perfect_predictions_score_one() -> None:
    scores = score([p("greet", "greet"), p("faq/returns", "faq/returns")])
    assert scores.macro_f1 == 1.0
    assert scores.confusions == ()
    assert scores.out_of_scope_recall is None


def test_precision_recall_and_f1_per_intent() -> None:
    scores = score(
        [p("faq/returns", "faq/returns"), p("faq/returns", "faq/refund"),
         p("faq/refund", "faq/refund"), p("faq/refund", "faq/refund")]
    )  # fmt: skip
    by_intent = {s.intent: s for s in scores.per_intent}
    assert (by_intent["faq/returns"].precision, by_intent["faq/returns"].recall) == (1.0, 0.5)
    assert by_intent["faq/refund"].precision == pytest.approx(2 / 3)
    assert by_intent["faq/refund"].f1 == pytest.approx(0.8)
    assert scores.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert scores.confusions == (("faq/returns", "faq/refund", 1),)


def test_fallback_is_right_for_out_of_scope_and_a_miss_otherwise() -> None:
    scores = score(
        [p("out_of_scope", "nlu_fallback"), p("out_of_scope", "out_of_scope"),
         p("out_of_scope", "faq/contact"), p("greet", "nlu_fallback")]
    )  # fmt: skip
    assert scores.out_of_scope_recall == pytest.approx(2 / 3)
    assert scores.fallback_rate == 1.0
    by_intent = {s.intent: s for s in scores.per_intent}
    assert by_intent["out_of_scope"].precision == 1.0
    assert by_intent["greet"].f1 == 0.0


def test_all_wrong_and_empty_sets() -> None:
    assert score([p("greet", "goodbye"), p("goodbye", "greet")]).macro_f1 == 0.0
    empty = score([])
    assert (empty.macro_f1, empty.out_of_scope_recall, empty.per_intent) == (0.0, None, ())


@pytest.mark.parametrize(
    ("parse", "expected"),
    [
        ({"intent": {"name": "greet"}}, "greet"),
        (
            {"intent": {"name": "faq"},
             "response_selector": {"faq": {"response": {"intent_response_key": "faq/refund"}}}},
            "faq/refund",
        ),
        ({"intent": {"name": "club"}, "response_selector": {}}, "club"),
        ({"intent": None}, "nlu_fallback"),
    ],
)  # fmt: skip
def test_full_intent(parse: dict[str, object], expected: str) -> None:
    assert full_intent(parse) == expected


def test_targets_and_summary_name_what_was_missed() -> None:
    scores = score([p("greet", "greet")] * 9 + [p("greet", "goodbye"), p("goodbye", "goodbye")])
    misses = target_misses("de", scores)
    assert misses == [f"de: macro-F1 {scores.macro_f1:.3f} < 0.95", "de: goodbye F1 0.667 < 0.85"]
    summary = render_summary("m.tar.gz", {"de": scores}, misses)
    assert "**Missed:**" in summary and "- greet → goodbye: 1" in summary
