"""Channel-neutral message types passed between channels and the router."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHARE_PHONE_PAYLOAD = "/share_phone"
"""A button asking the customer to share their phone number; only Telegram can offer it."""


@dataclass(frozen=True)
class IdentityProof:
    """What a channel has verified about the sender, e.g. their WhatsApp number."""

    via: str
    """How it was proven: a `bot.identity.VerifiedVia` value."""
    phone: str | None = None
    member_number: str | None = None


@dataclass(frozen=True)
class Inbound:
    """A customer's message as a channel received it."""

    channel: str
    sender_id: str
    text: str
    provider_message_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    language_hint: str | None = None
    """The channel's idea of the customer's language ("en-GB"); seeds a new conversation."""
    identity: IdentityProof | None = None
    display_text: str | None = None
    """What the customer saw themselves send, when `text` is a button's payload."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    @property
    def on_scale(self) -> bool:
        """A rating-scale button (titled "0" … "10"), which channels show as a number."""
        return self.title.isdigit()


@dataclass(frozen=True)
class Outbound:
    """A reply for one recipient, in the shape of Rasa's REST channel output."""

    recipient_id: str
    text: str | None = None
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: dict[str, Any] | None = None

    @classmethod
    def from_rasa(cls, data: dict[str, Any]) -> Outbound:
        """Parse one element of a Rasa REST channel response."""
        return cls(
            recipient_id=str(data.get("recipient_id", "")),
            text=data.get("text"),
            buttons=tuple(
                Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
                for b in data.get("buttons") or ()
            ),
            image=data.get("image"),
            custom=data.get("custom"),
        )

    @property
    def scale(self) -> tuple[Button, ...]:
        """The buttons of a rating scale (titled "0" … "10"), which channels show as numbers."""
        return tuple(b for b in self.buttons if b.on_scale)

    @property
    def choices(self) -> tuple[Button, ...]:
        """The buttons that are not part of a rating scale."""
        return tuple(b for b in self.buttons if not b.on_scale)

    def without_buttons(self, payload: str) -> Outbound:
        """The reply minus buttons this channel cannot offer."""
        kept = tuple(b for b in self.buttons if b.payload != payload)
        return Outbound(self.recipient_id, self.text, kept, self.image, self.custom)

    def to_rasa(self) -> dict[str, Any]:
        """The REST channel's JSON shape; absent parts are left out, as Rasa does."""
        data: dict[str, Any] = {"recipient_id": self.recipient_id}
        if self.text is not None:
            data["text"] = self.text
        if self.buttons:
            data["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.image is not None:
            data["image"] = self.image
        if self.custom is not None:
            data["custom"] = self.custom
        return data


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters for channels with a length cap, cut at a line
    break or space where possible."""
    parts: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return parts
