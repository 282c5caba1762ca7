"""Where one customer message holds several questions: "Was kostet der Versand nach
Österreich? Und wie lange habe ich für eine Rückgabe Zeit?"

Customers often ask two or three things at once. The pipeline classifies the whole
message, which answers one of them; bot/rasa_further_questions.py classifies each part
this module cuts out, so the others are answered too. A cut too many rarely costs there (a
part that is no confident question of its own is dropped; 6 of 2,013 held-out messages,
each one question, got a second answer), a missed cut costs an answer, so this cuts at
every sentence end, before "1)", "2)" and at the words (or a "+") that join two questions.

Plain Python, no Rasa: unit tests and the Rasa component import it.
"""

from __future__ import annotations

import re

# The parse key under which the pipeline lists the topics of a message's several
# questions (bot/rasa_further_questions.py) and the actions read them
# (actions/topic_answers.py).
QUESTIONS = "questions"
# The parse key that says a part of a message read as something else asks for a person;
# its value is the handoff's reason (`asked_for_person`).
HAND_OVER = "hand_over"
_SENTENCE_END = re.compile(r"(?<=[?!;])|(?<=[.:])(?=\s)|\n|(?:^|\s)\d[.)](?=\s)")
# "und", "and" and their kin, or a "+" between two questions. Not "&", which names
# ("Nordlicht Home & Style", "Miles & More") hold, and not a "+" between numbers ("5 + 1").
_JOINER = re.compile(
    r"(?:(?:^|,\s*|(?<!\s)\s+)(?:und|and|außerdem|ausserdem|sowie|plus)\b|(?<!\d)\s+\+(?=\s+\D))\s*",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")


def question_segments(text: str) -> list[str]:
    """The parts of `text` that may each be a question of their own, in order; a message
    with one part is one question."""
    parts = []
    for sentence in _SENTENCE_END.split(text):
        for part in _JOINER.split(sentence):
            cleaned = part.strip(" \t,;:.-–—")
            if _WORD.search(cleaned) and not cleaned.isdigit():
                parts.append(cleaned)
    return parts
