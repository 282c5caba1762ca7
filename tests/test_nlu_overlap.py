"""Held-out messages that nearly copy a training example are told apart from new wordings."""

from __future__ import annotations

import pytest

from bot.evaluation import render_overlap
from bot.nlu_data import Example
from bot.nlu_overlap import near_copies, overlap, score_by_overlap, words
from bot.nlu_scores import Prediction


def test_words_are_lower_case_with_umlauts_spelt_out() -> None:
    assert words("Rückgabe, bitte! RUECKGABE?") == {"rueckgabe", "bitte"}
    assert words("   ") == frozenset()


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("wie lange habt ihr offen", "wie lange habt ihr heute offen", 5 / 6),
        ("versand kosten", "was kostet der versand", 1 / 5),
        ("hallo", "hallo", 1.0),
        ("", "", 0.0),
    ],
)
def test_overlap_is_words_in_common_over_all_words(
    first: str, second: str, expected: float
) -> None:
    assert overlap(words(first), words(second)) == pytest.approx(expected)


def test_near_copies_are_found_from_sixty_percent_of_shared_words() -> None:
    training = [
        Example("faq/store_hours", "wie lange habt ihr offen"),
        Example("faq/returns", "wie kann ich etwas zurückschicken"),
    ]
    held_out = [
        Example("faq/store_hours", "Wie lange habt ihr heute offen?"),  # 5 of 6 words
        Example("faq/returns", "wie kann ich was zurueckschicken"),  # 4 of 6 words
        Example("faq/returns", "Retoure geht wie?"),  # 1 of 7 words
        Example("out_of_scope", "Wie wird das Wetter?"),  # shares only "wie"
    ]
    assert near_copies(held_out, training) == {
        "Wie lange habt ihr heute offen?",
        "wie kann ich was zurueckschicken",
    }


def test_accuracy_is_scored_apart_for_near_copies_and_the_rest() -> None:
    predictions = [
        Prediction("greet", "greet", "hallo"),
        Prediction("thank", "greet", "danke dir"),
        Prediction("faq/returns", "faq/returns", "retoure geht wie"),
        Prediction("out_of_scope", "nlu_fallback", "wie wird das wetter"),
        Prediction("out_of_scope", "faq/store_hours", "hat der zahnarzt offen"),
    ]
    scores = score_by_overlap(predictions, near={"hallo", "danke dir"})
    assert (scores.near_copies, scores.others) == (2, 3)
    assert scores.near_copy_accuracy == pytest.approx(0.5)
    assert scores.other_accuracy == pytest.approx(2 / 3)
    assert scores.other_out_of_scope_recall == pytest.approx(0.5)
    assert score_by_overlap([], near=set()).other_accuracy is None


def test_summary_gives_the_means_over_the_seeds() -> None:
    predictions = [
        Prediction("greet", "greet", "hallo"),
        Prediction("out_of_scope", "nlu_fallback", "wetter"),
        Prediction("out_of_scope", "help", "hausaufgaben"),
    ]
    worse = [Prediction("greet", "thank", "hallo"), *predictions[1:]]
    summary = render_overlap(
        {
            42: {"de": score_by_overlap(predictions, {"hallo"})},
            7: {"de": score_by_overlap(worse, {"hallo"})},
        }
    )
    assert "means over the seeds" in summary
    assert "| de | 1 | 0.500 | 2 | 0.500 | 0.500 |" in summary
