"""Scores intent predictions against a labelled test set (precision, recall, F1, confusions).

Labels are full intents: retrieval topics count as `faq/returns`, not `faq`. The
fallback (`nlu_fallback`) is the right answer for an out-of-scope message and a
miss for every other one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
RETRIEVAL_INTENTS = frozenset({"faq", "club"})
"""The intents answered by a response selector (config.yml); their topic is the label."""


def full_intent(parse: dict[str, Any]) -> str:
    """`faq/returns` for retrieval intents (from the response selector), else the intent."""
    intent = str((parse.get("intent") or {}).get("name") or FALLBACK)
    if intent in RETRIEVAL_INTENTS:
        selected = ((parse.get("response_selector") or {}).get(intent) or {}).get("response") or {}
        return str(selected.get("intent_response_key") or intent)
    return intent


@dataclass(frozen=True)
class Prediction:
    gold: str
    predicted: str
    text: str

    @property
    def correct(self) -> bool:
        """Right intent; for out-of-scope messages the fallback is right too."""
        return self.predicted == self.gold or (
            self.gold == OUT_OF_SCOPE and self.predicted == FALLBACK
        )

    @property
    def counted_as(self) -> str:
        """The prediction as scored: a fallback on an out-of-scope message is out of scope."""
        return self.gold if self.correct else self.predicted


@dataclass(frozen=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Scores:
    per_intent: tuple[IntentScore, ...]
    macro_f1: float
    out_of_scope_recall: float | None
    fallback_rate: float
    """Share of in-scope messages that got the clarifying question instead of an answer."""
    confusions: tuple[tuple[str, str, int], ...]
    """(gold, predicted, count) for every wrong pair, most frequent first."""


def score(predictions: Sequence[Prediction]) -> Scores:
    """Per-intent and macro scores over the intents present in the test set."""
    gold_counts = Counter(p.gold for p in predictions)
    predicted_counts = Counter(p.counted_as for p in predictions)
    hits = Counter(p.gold for p in predictions if p.correct)
    per_intent = []
    for intent in sorted(gold_counts):
        precision = hits[intent] / predicted_counts[intent] if predicted_counts[intent] else 0.0
        recall = hits[intent] / gold_counts[intent]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent.append(IntentScore(intent, precision, recall, f1, gold_counts[intent]))
    macro = sum(s.f1 for s in per_intent) / len(per_intent) if per_intent else 0.0
    out_of_scope = [p for p in predictions if p.gold == OUT_OF_SCOPE]
    in_scope = [p for p in predictions if p.gold != OUT_OF_SCOPE]
    confusions = Counter((p.gold, p.predicted) for p in predictions if not p.correct)
    return Scores(
        per_intent=tuple(per_intent),
        macro_f1=macro,
        out_of_scope_recall=(
            sum(p.correct for p in out_of_scope) / len(out_of_scope) if out_of_scope else None
        ),
        fallback_rate=(
            sum(p.predicted == FALLBACK for p in in_scope) / len(in_scope) if in_scope else 0.0
        ),
        confusions=tuple((g, p, n) for (g, p), n in confusions.most_common()),
    )


@dataclass(frozen=True)
class Spread:
    """One figure over several trainings of the same data (different random seeds)."""

    mean: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(sum(values) / len(values), min(values), max(values))


@dataclass(frozen=True)
class SeedScores:
    """A language's scores over several seeds: the targets are judged on the means."""

    seeds: int
    examples: int
    macro_f1: Spread
    out_of_scope_recall: Spread | None
    fallback_rate: Spread
    intent_f1: dict[str, Spread]
    confusions: tuple[tuple[str, str, int], ...]
    """(gold, predicted, count summed over the seeds), most frequent first."""


def over_seeds(runs: Sequence[Scores]) -> SeedScores:
    """Mean, lowest and highest of each figure over the runs of one language's test set."""
    if not runs:
        raise ValueError("no runs to summarise")
    intents = sorted({s.intent for run in runs for s in run.per_intent})
    f1 = [{s.intent: s.f1 for s in run.per_intent} for run in runs]
    out_of_scope = [r.out_of_scope_recall for r in runs if r.out_of_scope_recall is not None]
    confusions: Counter[tuple[str, str]] = Counter()
    for run in runs:
        confusions.update({(gold, predicted): n for gold, predicted, n in run.confusions})
    return SeedScores(
        seeds=len(runs),
        examples=sum(s.support for s in runs[0].per_intent),
        macro_f1=Spread.of([r.macro_f1 for r in runs]),
        out_of_scope_recall=Spread.of(out_of_scope) if out_of_scope else None,
        fallback_rate=Spread.of([r.fallback_rate for r in runs]),
        intent_f1={i: Spread.of([run.get(i, 0.0) for run in f1]) for i in intents},
        confusions=tuple((g, p, n) for (g, p), n in confusions.most_common()),
    )
