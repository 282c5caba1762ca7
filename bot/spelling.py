"""How customers spell German without umlauts: "rueckgabe" for "Rückgabe", "gross" for "groß".

Shared by the Rasa tokenizer (bot/rasa_tokenizer.py), so the classifier sees both
spellings as one word, and by the held-out overlap measure (bot/nlu_overlap.py), so
a near-copy is not hidden by its spelling. Plain Python: both Rasa's environment and
the gateway's import it.
"""

from __future__ import annotations

_UMLAUT_SPELLINGS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"}
)


def spell_out_umlauts(text: str) -> str:
    """The spelling of `text` a keyboard without umlauts gives."""
    return text.translate(_UMLAUT_SPELLINGS)
