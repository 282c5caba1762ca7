"""The conversations the bench replays: realistic, in German and English, one sender each.

Every kind of traffic the assistant gets is in the rotation: FAQ and Club
questions, small talk, verification followed by a personal question for the
demo customers (shared/demo-company.md), a redemption flow and a request for a
person. The redemption stops at the confirmation ("no"), so a run books no
voucher and can target a deployment with real demo data. The request for a
person ends its conversation, because the gateway then stops asking the
assistant and a further message would get no reply.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Script:
    name: str
    language: str
    messages: tuple[str, ...]

    @property
    def text_only(self) -> bool:
        """No button payloads: a customer can type every message (for Telegram/WhatsApp)."""
        return not any(message.startswith("/") for message in self.messages)


CHOOSE_500 = '/choose_reward{"reward_points": 500}'

SCRIPTS: tuple[Script, ...] = (
    Script("faq_hours_de", "de", ("Hallo", "Wann habt ihr geöffnet?", "Danke dir!")),
    Script(
        "faq_shipping_en",
        "en",
        ("Hi", "How much is shipping to Austria?", "Do you offer express delivery?", "Thanks, bye"),
    ),
    Script(
        "balance_anna_de",
        "de",
        ("Wie viele Punkte habe ich?", "NL-100234", "12.04.1988", "Welche Stufe habe ich?"),
    ),
    Script(
        "faq_returns_de",
        "de",
        (
            "Wie kann ich etwas zurückschicken?",
            "Wann bekomme ich mein Geld zurück?",
            "Kann ich auf Rechnung zahlen?",
        ),
    ),
    Script("club_en", "en", ("How does the Nordlicht Club work?", "What tiers are there?")),
    Script(
        "redeem_john_en",
        "en",
        (
            "I want to redeem my points for a voucher",
            "NL-100876",
            "November 2, 1979",
            CHOOSE_500,
            "No, not now",
        ),
    ),
    Script("handoff_de", "de", ("Hallo", "Ich möchte mit einem Menschen sprechen")),
    Script(
        "smalltalk_en", "en", ("What can you do?", "Who won the match yesterday?", "Are you a bot?")
    ),
    Script(
        "balance_john_en",
        "en",
        ("How many points do I have?", "NL-100876", "November 2, 1979", "Show my points history"),
    ),
    Script(
        "faq_stores_de",
        "de",
        ("Moin", "Wo sind eure Filialen?", "Welche Zahlungsarten gibt es?", "Tschüss"),
    ),
    Script(
        "redeem_anna_de",
        "de",
        (
            "Ich möchte meine Punkte einlösen",
            "NL-100234",
            "12.04.1988",
            CHOOSE_500,
            "Nein, lieber nicht",
        ),
    ),
    Script("expiring_lena_de", "de", ("Verfallen bei mir bald Punkte?", "NL-100555", "30.07.1995")),
    Script(
        "faq_contact_en",
        "en",
        ("What is your email address?", "When is customer service available?"),
    ),
    Script("handoff_en", "en", ("Hello", "Connect me to an agent, please")),
)
"""The rotation, in order; each entry is one conversation."""


@dataclass(frozen=True)
class Conversation:
    sender: str
    """Unique to this conversation, so no two conversations share a tracker."""
    script: Script


class ConversationMix:
    """Hands out the scripts in a fixed rotation, each time under a new sender id."""

    def __init__(
        self, prefix: str, scripts: Sequence[Script] = SCRIPTS, *, text_only: bool = False
    ) -> None:
        chosen = [s for s in scripts if s.text_only] if text_only else list(scripts)
        if not chosen:
            raise ValueError("no scripts to replay")
        self._prefix = prefix
        self._scripts = itertools.cycle(chosen)
        self._count = itertools.count(1)

    def next(self) -> Conversation:
        """The next conversation of the rotation."""
        return Conversation(f"{self._prefix}-{next(self._count):06d}", next(self._scripts))
