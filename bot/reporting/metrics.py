"""The figures themselves: pure functions over rows, so every edge case is testable.

Percentages are 0–100 floats, NPS runs from −100 to +100, CES is a mean on 1–7.
A figure over no data is None: the report shows "–" instead of dividing by zero.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CSAT_SATISFIED = 4
NPS_PROMOTER = 9
NPS_DETRACTOR = 6
FALLBACK_INTENT = "nlu_fallback"


def share(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent; None when there is nothing to share."""
    return 100.0 * part / whole if whole else None


def csat(scores: Sequence[int]) -> float | None:
    """Share of 4–5 ratings among CSAT ratings, in percent."""
    return share(sum(1 for s in scores if s >= CSAT_SATISFIED), len(scores))


def nps(scores: Sequence[int]) -> float | None:
    """Percent promoters (9–10) minus percent detractors (0–6)."""
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= NPS_PROMOTER)
    detractors = sum(1 for s in scores if s <= NPS_DETRACTOR)
    return 100.0 * (promoters - detractors) / len(scores)


def ces(scores: Sequence[int]) -> float | None:
    """Mean CES rating; lower means less effort for the customer."""
    return statistics.fmean(scores) if scores else None


def median(values: Sequence[float]) -> float | None:
    """The middle value (mean of the two middle ones for an even count)."""
    return statistics.median(values) if values else None


SCORE_OF = {"csat": csat, "nps": nps, "ces": ces}


@dataclass(frozen=True)
class KindFigures:
    """One kind of rating: its score and how many customers were asked and answered."""

    kind: str
    score: float | None
    asked: int
    rated: int
    declined: int

    @property
    def response_rate(self) -> float | None:
        """Rated / asked: how far the score can be trusted beside its count."""
        return share(self.rated, self.asked)


@dataclass(frozen=True)
class Question:
    """One rating question as the figures need it: kind, status and score."""

    kind: str
    status: str
    score: int | None


def kind_figures(kind: str, questions: Iterable[Question]) -> KindFigures:
    """Score and counts of one kind; a rated row without a score is not counted as rated."""
    mine = [q for q in questions if q.kind == kind]
    scores = [q.score for q in mine if q.status == "rated" and q.score is not None]
    return KindFigures(
        kind=kind,
        score=SCORE_OF[kind](scores),
        asked=len(mine),
        rated=len(scores),
        declined=sum(1 for q in mine if q.status == "declined"),
    )


@dataclass(frozen=True)
class Figures:
    """Everything the report shows for one group (overall, a week, a channel, a language)."""

    csat: KindFigures
    nps: KindFigures
    ces: KindFigures
    conversations: int
    with_handoff: int
    handoffs: int
    answered_handoffs: int
    median_wait_seconds: float | None
    user_messages: int | None
    """Customer messages in Rasa's tracker store; None when the store is unavailable."""
    fallbacks: int | None

    @property
    def kinds(self) -> tuple[KindFigures, KindFigures, KindFigures]:
        return (self.csat, self.nps, self.ces)

    @property
    def asked(self) -> int:
        return sum(k.asked for k in self.kinds)

    @property
    def rated(self) -> int:
        return sum(k.rated for k in self.kinds)

    @property
    def response_rate(self) -> float | None:
        """Rated / asked over all three kinds."""
        return share(self.rated, self.asked)

    @property
    def handoff_rate(self) -> float | None:
        """Share of conversations during which a person was asked for."""
        return share(self.with_handoff, self.conversations)

    @property
    def containment(self) -> float | None:
        """Share of conversations the assistant handled without a handoff."""
        return share(self.conversations - self.with_handoff, self.conversations)

    @property
    def fallback_rate(self) -> float | None:
        """Share of customer messages Rasa did not understand; None without the tracker store."""
        if self.user_messages is None or self.fallbacks is None:
            return None
        return share(self.fallbacks, self.user_messages)


def figures(
    *,
    questions: Sequence[Question],
    conversations: int,
    with_handoff: int,
    waits: Sequence[float | None],
    intents: Sequence[str | None] | None,
) -> Figures:
    """One group's figures; `waits` has one entry per handoff (None: no agent reply yet)."""
    answered = [w for w in waits if w is not None]
    return Figures(
        csat=kind_figures("csat", questions),
        nps=kind_figures("nps", questions),
        ces=kind_figures("ces", questions),
        conversations=conversations,
        with_handoff=with_handoff,
        handoffs=len(waits),
        answered_handoffs=len(answered),
        median_wait_seconds=median(answered),
        user_messages=None if intents is None else len(intents),
        fallbacks=None if intents is None else sum(1 for i in intents if i == FALLBACK_INTENT),
    )
