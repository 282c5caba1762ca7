"""How close each held-out message comes to the training data.

A held-out message that shares most of its words with a training example tests
whether the model remembers, not whether it understands a new wording; the
evaluation reports the two kinds apart so that a score carried by near-copies
shows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.nlu_data import Example
from bot.nlu_scores import OUT_OF_SCOPE, Prediction
from bot.spelling import spell_out_umlauts

NEAR_COPY_OVERLAP = 0.6
"""Share of words in common (of all words of both) from which a message is a near-copy."""

_WORD = re.compile(r"\w+")


def word_list(text: str) -> list[str]:
    """The message's words in order, lower-case and with umlauts spelt out as customers
    often do, so that "Rückgabe!" and "rueckgabe" are the same message."""
    return _WORD.findall(spell_out_umlauts(text.lower()))


def words(text: str) -> frozenset[str]:
    """The message's distinct words (see `word_list`)."""
    return frozenset(word_list(text))


def overlap(first: frozenset[str], second: frozenset[str]) -> float:
    """Words in common over all words of both (Jaccard); 0 when both are empty."""
    union = first | second
    return len(first & second) / len(union) if union else 0.0


def near_copies(held_out: Sequence[Example], training: Sequence[Example]) -> set[str]:
    """Texts of the held-out messages that nearly copy some training example."""
    trained = [words(example.text) for example in training]
    by_word: defaultdict[str, list[int]] = defaultdict(list)
    for index, trained_words in enumerate(trained):
        for word in trained_words:
            by_word[word].append(index)
    found = set()
    for example in held_out:
        message = words(example.text)
        candidates = {index for word in message for index in by_word.get(word, ())}
        if any(overlap(message, trained[index]) >= NEAR_COPY_OVERLAP for index in candidates):
            found.add(example.text)
    return found


@dataclass(frozen=True)
class OverlapScores:
    """Accuracy on the near-copies of training examples and on the rest."""

    near_copies: int
    others: int
    near_copy_accuracy: float | None
    other_accuracy: float | None
    other_out_of_scope_recall: float | None


def score_by_overlap(predictions: Sequence[Prediction], near: set[str]) -> OverlapScores:
    """Share of right answers among near-copies and among the other messages."""
    close = [p for p in predictions if p.text in near]
    others = [p for p in predictions if p.text not in near]
    other_out_of_scope = [p for p in others if p.gold == OUT_OF_SCOPE]
    return OverlapScores(
        near_copies=len(close),
        others=len(others),
        near_copy_accuracy=_accuracy(close),
        other_accuracy=_accuracy(others),
        other_out_of_scope_recall=_accuracy(other_out_of_scope),
    )


def _accuracy(predictions: Sequence[Prediction]) -> float | None:
    return sum(p.correct for p in predictions) / len(predictions) if predictions else None
