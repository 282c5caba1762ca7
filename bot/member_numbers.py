"""Reads a Nordlicht Club member number the way customers type it.

Members write "NL-100234", "nl 100 234" or only the six digits; the verification
form and the check that a message gave details at all read it the same way.
"""

from __future__ import annotations

import re

_MEMBER_NUMBER = re.compile(r"(?<![\w-])(?:nl[\s-]*)?(\d{3})[\s-]?(\d{3})(?![\w-])", re.I)


def normalise_member_number(text: str) -> str | None:
    """The member number in what a customer typed ("nl 100234", "100 234"), as NL-100234."""
    match = _MEMBER_NUMBER.search(text)
    return f"NL-{match.group(1)}{match.group(2)}" if match else None
