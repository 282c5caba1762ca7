"""Whether a message names a phrase of each lookup table in the training data.

Some knowledge is not in a message's words: "ich wohne in Linz, wie lange dauert das?"
and "ich wohne in Köln, wie lange dauert das?" look alike to n-grams and to the sentence
encoder, yet one asks about shipping to Austria and the other within Germany. Rasa lookup
tables (data/lookups/) hold such lists where a shop's staff can edit them; this turns
each table into one input of the linear classifiers (bot/linear_text_model.py), on when
the message names one of its phrases.

Matching compares whole words, lower case and without accents. A phrase with umlauts is
known both spelled out and with the dots dropped, so "Zuerich", "Zurich" and "zürich"
find "Zürich", and "Geneve" finds "Genève". It looks up each run of words up to the
longest phrase in a set, so its time grows linearly with the message, whatever a
customer types.

Plain Python, no Rasa: the components hand over the tables as Rasa lists them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.spelling import spell_out_umlauts

_WORD = re.compile(r"\w+")


def phrase_words(text: str) -> tuple[str, ...]:
    """The words matching compares: lower case, umlauts spelled out, other accents dropped."""
    return _without_accents(spell_out_umlauts(unicodedata.normalize("NFC", text.lower())))


def _spellings(phrase: str) -> set[tuple[str, ...]]:
    """A phrase as customers type it: umlauts spelled out ("Koeln") or their dots dropped
    ("Koln", common where keyboards have no umlauts and in English)."""
    return {phrase_words(phrase), _without_accents(phrase.lower())} - {()}


def _without_accents(text: str) -> tuple[str, ...]:
    decomposed = unicodedata.normalize("NFKD", text)
    return tuple(_WORD.findall("".join(c for c in decomposed if not unicodedata.combining(c))))


@dataclass(frozen=True)
class LookupPhrases:
    """The training data's lookup tables, by name, as sets of word sequences."""

    tables: Mapping[str, frozenset[tuple[str, ...]]]
    longest: int

    @classmethod
    def from_rasa(cls, lookup_tables: Iterable[Mapping[str, Any]]) -> LookupPhrases:
        """From Rasa's `TrainingData.lookup_tables` (name and elements of each table)."""
        tables: dict[str, set[tuple[str, ...]]] = {}
        for table in lookup_tables:
            elements = table.get("elements") or []
            # Rasa puts a table's file, where one is named, in as its text: a phrase a line.
            lines = elements.splitlines() if isinstance(elements, str) else elements
            phrases = tables.setdefault(str(table["name"]), set())
            for element in lines:
                phrases.update(_spellings(str(element)))
        longest = max((len(p) for phrases in tables.values() for p in phrases), default=0)
        return cls({name: frozenset(tables[name]) for name in sorted(tables)}, longest)

    def names(self, text: str) -> list[str]:
        """The tables of which `text` names a phrase, in the tables' order."""
        words = phrase_words(text)
        runs = {
            words[start : start + length]
            for length in range(1, self.longest + 1)
            for start in range(len(words) - length + 1)
        }
        return [name for name, phrases in self.tables.items() if not runs.isdisjoint(phrases)]
