"""Scoring of held-out predictions, and how a Rasa parse becomes a full intent."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.evaluation import EvalSettings, render_summary, target_misses
from bot.nlu_scores import Prediction, Spread, full_intent, over_seeds, score


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
    results = {"de": over_seeds([scores])}
    misses = target_misses("de", results["de"])
    assert misses == [f"de: macro-F1 {scores.macro_f1:.3f} < 0.95", "de: goodbye F1 0.667 < 0.85"]
    summary = render_summary({42: Path("m.tar.gz")}, results, {42: {"de": scores}}, misses)
    assert "**Missed:**" in summary and "- greet → goodbye: 1" in summary


def test_over_seeds_gives_mean_and_range_and_sums_confusions() -> None:
    good = score([p("out_of_scope", "out_of_scope"), p("greet", "greet")])
    bad = score([p("out_of_scope", "faq/hours"), p("greet", "greet")])
    both = over_seeds([good, bad])
    assert both.seeds == 2 and both.examples == 2
    assert both.out_of_scope_recall == Spread(0.5, 0.0, 1.0)
    assert both.intent_f1["out_of_scope"] == Spread(0.5, 0.0, 1.0)
    assert both.intent_f1["greet"].mean == 1.0
    assert both.confusions == (("out_of_scope", "faq/hours", 1),)


def test_targets_are_judged_on_the_mean_over_seeds() -> None:
    perfect = score([p("out_of_scope", "out_of_scope")] * 10)
    one_miss = score([p("out_of_scope", "out_of_scope")] * 9 + [p("out_of_scope", "greet")])
    two_misses = score([p("out_of_scope", "out_of_scope")] * 8 + [p("out_of_scope", "greet")] * 2)
    assert target_misses("en", over_seeds([perfect, one_miss])) == []
    assert any("out-of-scope recall 0.850" in m for m in target_misses(
        "en", over_seeds([one_miss, two_misses])
    ))  # fmt: skip


@pytest.mark.parametrize("value", ["42,x", "42,42", "", "-1"])
def test_eval_seeds_must_be_distinct_numbers(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVAL_SEEDS", value)
    with pytest.raises(ValidationError, match="EVAL_SEEDS must be"):
        EvalSettings()


def test_eval_seeds_default_to_the_real_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVAL_SEEDS", raising=False)
    assert EvalSettings().seed_list == [42]
    monkeypatch.setenv("EVAL_SEEDS", " 42, 7 ")
    assert EvalSettings().seed_list == [42, 7]
