"""What the console shows: the queue (Gold first, then by waiting time) and one conversation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.orm import Session

from bot import handoff, identity
from bot.clock import as_utc, business_today, time_zone
from bot.db import conversations as queries
from bot.db.orm import Handoff
from bot.loyalty import AccountSummary, account_summary, expiring_within

TIER_ORDER = {"gold": 0, "silver": 1, "bronze": 2}
EXPIRY_NOTICE_DAYS = 90
CANNED_REPLIES = Path(__file__).with_name("canned_replies.yml")


@dataclass(frozen=True)
class CustomerCard:
    name: str
    member_number: str
    verified_via: list[str]
    tier: str
    tier_code: str
    balance: int
    expiring: list[tuple[str, int]]
    channels: list[str]


AUTHORS = {"customer": "Kunde", "bot": "Assistent", "agent": "Service-Team", "system": "System"}
CHANNELS = {
    "rest": "REST",
    "telegram": "Telegram",
    "whatsapp": "WhatsApp",
    "widget": "Website-Chat",
}
REASONS = {
    "asked_for_person": "wollte eine Person",
    "not_understood": "zweimal nicht verstanden",
    "complaint": "Beschwerde",
    "low_rating": "schlechte Bewertung",
    "callback": "Rückruf gewünscht",
    "callback_low_rating": "Rückruf nach schlechter Bewertung",
}


def reason_label(reason: str) -> str:
    """The handoff reason in the console's words; an unknown code is shown as it is."""
    return REASONS.get(reason, reason)


@dataclass(frozen=True)
class QueueEntry:
    id: int
    status: str
    channel: str
    language: str
    reason: str
    customer: str | None
    tier: str | None
    tier_code: str | None
    agent: str | None
    waiting_seconds: int
    escalated: bool


def queue_entries(
    session: Session, *, now: dt.datetime, escalate_after: dt.timedelta
) -> list[QueueEntry]:
    """The open handoffs as the queue view lists them."""
    entries = []
    for item in handoff.queue(session):
        card = customer_card(session, item)
        waited = now - as_utc(item.requested_at)
        entries.append(
            QueueEntry(
                id=item.id,
                status=item.status,
                channel=channel_label(item.conversation.channel),
                language=item.conversation.language,
                reason=reason_label(item.reason),
                customer=card.name if card else None,
                tier=card.tier if card else None,
                tier_code=card.tier_code if card else None,
                agent=item.agent.display_name if item.agent else None,
                waiting_seconds=int(waited.total_seconds()),
                escalated=item.status == "waiting" and waited > escalate_after,
            )
        )
    entries.sort(key=lambda e: (TIER_ORDER.get(e.tier_code or "", 9), -e.waiting_seconds))
    return entries


def customer_card(session: Session, item: Handoff) -> CustomerCard | None:
    """Who the customer is, if the conversation is verified, with their Club account."""
    customer = identity.linked_customer(session, item.conversation.sender_id)
    if customer is None:
        return None
    today = business_today()
    summary: AccountSummary = account_summary(session, customer=customer, today=today)
    return CustomerCard(
        name=f"{customer.first_name} {customer.last_name}",
        member_number=customer.member_number,
        verified_via=sorted({i.verified_via for i in customer.identities}),
        tier=summary.tier.name_de,
        tier_code=summary.tier.code,
        balance=summary.balance,
        expiring=[
            (lot.expires_on.isoformat(), lot.points)
            for lot in expiring_within(summary, today=today, days=EXPIRY_NOTICE_DAYS)
        ],
        channels=sorted({i.channel for i in customer.identities}),
    )


def channel_label(channel: str) -> str:
    """The channel's product name, as agents know it."""
    return CHANNELS.get(channel, channel)


def local_time(moment: dt.datetime) -> str:
    """A stored (UTC) time as the shop's wall-clock time, which is what agents read."""
    return as_utc(moment).astimezone(ZoneInfo(time_zone())).strftime("%d.%m.%Y %H:%M")


def transcript(session: Session, item: Handoff) -> list[dict[str, Any]]:
    """Every turn of the conversation: customer, bot and agent, with the shop's local time."""
    return [
        {
            "author": message.author,
            "who": AUTHORS.get(message.author, message.author),
            "text": message.payload.get("display") or message.text,
            "at": local_time(message.created_at),
            "status": message.status,
        }
        for message in queries.conversation_messages(session, sender_id=item.conversation.sender_id)
    ]


def canned_replies(language: str) -> list[str]:
    """The quick answers for a conversation language (bot/console/canned_replies.yml)."""
    data = yaml.safe_load(CANNED_REPLIES.read_text(encoding="utf-8")) or {}
    return [str(text) for text in data.get(language) or data.get("de") or []]
