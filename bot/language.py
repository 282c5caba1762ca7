"""Per-message language detection (German/English), learnt from the assistant's own NLU data.

General-purpose detectors misjudge the short messages customers send ("Hallo",
"moin"); a small naive Bayes model over character n-grams of our own training
examples knows exactly the vocabulary the assistant is trained on.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from bot.nlu_data import read_examples

_LETTERS = re.compile(r"[^\W\d_]+")
NGRAM_SIZES = (1, 2, 3, 4)
SMOOTHING = 0.5
MIN_LETTERS_TO_SWITCH = 3
SWITCH_EVIDENCE = 2.0
"""Log-likelihood ratio (nats) a message needs to leave the conversation's language."""


def _words(text: str) -> list[str]:
    return [word.lower() for word in _LETTERS.findall(text)]


def _ngrams(word: str) -> list[str]:
    padded = f" {word} "
    return [padded[i : i + n] for n in NGRAM_SIZES for i in range(len(padded) - n + 1)]


class _Model:
    """Smoothed log-probabilities of tokens per language."""

    def __init__(self, counts: Mapping[str, Counter[str]]) -> None:
        vocabulary_size = len(set().union(*counts.values())) + 1
        self.log_probs: dict[str, dict[str, float]] = {}
        self.unseen: dict[str, float] = {}
        for lang, counter in counts.items():
            total = sum(counter.values()) + SMOOTHING * vocabulary_size
            self.log_probs[lang] = {
                token: math.log((n + SMOOTHING) / total) for token, n in counter.items()
            }
            self.unseen[lang] = math.log(SMOOTHING / total)

    def knows(self, token: str) -> bool:
        return any(token in probs for probs in self.log_probs.values())

    def log_prob(self, lang: str, token: str) -> float:
        return self.log_probs[lang].get(token, self.unseen[lang])


class LanguageDetector:
    """Words seen in training decide; unseen words count by their character n-grams."""

    def __init__(self, examples: Mapping[str, Iterable[str]]) -> None:
        words = {
            lang: Counter(w for text in texts for w in _words(text))
            for lang, texts in examples.items()
        }
        if len(words) < 2:
            raise ValueError("the language detector needs examples in at least two languages")
        self._words = _Model(words)
        self._grams = _Model(
            {
                lang: Counter(g for w, n in c.items() for g in _ngrams(w) * n)
                for lang, c in words.items()
            }
        )

    @classmethod
    def from_nlu_dir(cls, nlu_dir: Path) -> LanguageDetector:
        """Learn from data/nlu/<language>/*.yml, one folder per language."""
        folders = [p for p in sorted(nlu_dir.iterdir()) if p.is_dir()]
        return cls({f.name: [e.text for e in read_examples(f)] for f in folders})

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._words.log_probs)

    def log_likelihoods(self, text: str) -> dict[str, float]:
        """Log-likelihood of the message under each language (comparable across languages)."""
        scores = dict.fromkeys(self.languages, 0.0)
        for word in _words(text):
            for lang in scores:
                if self._words.knows(word):
                    scores[lang] += self._words.log_prob(lang, word)
                else:
                    grams = _ngrams(word)
                    scores[lang] += sum(self._grams.log_prob(lang, g) for g in grams) / len(grams)
        return scores

    def detect(self, text: str, *, current: str) -> str:
        """The message's language; stays with `current` unless the evidence is clear."""
        if sum(len(word) for word in _words(text)) < MIN_LETTERS_TO_SWITCH:
            return current
        scores = self.log_likelihoods(text)
        best = max(scores, key=scores.__getitem__)
        if best == current or current not in scores:
            return best
        return best if scores[best] - scores[current] >= SWITCH_EVIDENCE else current
