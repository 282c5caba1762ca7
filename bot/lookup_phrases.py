"""Whether a message names a phrase of each lookup table in the training data.

Some knowledge is not in a message's words: "ich wohne in Linz, wie lange dauert das?"
and "ich wohne in Köln, wie lange dauert das?" look alike to n-grams and to the sentence
encoder, yet one asks about shipping to Austria and the other within Germany. Rasa lookup
tables (data/lookups/) hold such lists where a shop's staff can edit them; this turns
each table into one input of the linear classifiers (bot/linear_text_model.py): 1 when
the message names one of its phrases.

Matching compares whole words, lower case, with umlauts spelled out and other accents
dropped, so "Zuerich", "zürich" and "Geneve" find "Zürich" and "Genève". It looks up each
run of words up to the longest phrase in a set, so its time grows linearly with the
message, whatever a customer types.

Plain Python, no Rasa: the components hand over the tables as Rasa lists them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.spelling import spell_out_umlauts

_WORD = re.compile(r"\w+")


def phrase_words(text: str) -> tuple[str, ...]:
    """The words matching compares: lower case, umlauts spelled out, other accents dropped."""
    spelled = unicodedata.normalize("NFKD", spell_out_umlauts(text.lower()))
    return tuple(_WORD.findall("".join(c for c in spelled if not unicodedata.combining(c))))


@dataclass(frozen=True)
class LookupPhrases:
    """The training data's lookup tables, by name, as sets of word sequences."""

    tables: Mapping[str, frozenset[tuple[str, ...]]]
    longest: int

    @classmethod
    def from_rasa(cls, lookup_tables: Iterable[Mapping[str, object]]) -> LookupPhrases:
        """From Rasa's `TrainingData.lookup_tables` (name and elements of each table)."""
        tables: dict[str, set[tuple[str, ...]]] = {}
        for table in lookup_tables:
            elements = table.get("elements")
            if isinstance(elements, list):
                phrases = (phrase_words(str(element)) for element in elements)
                tables.setdefault(str(table["name"]), set()).update(p for p in phrases if p)
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
