"""SQLAlchemy 2 models of the business database (loyalty and conversations)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Timezone-aware now, so stored times compare the same on SQLite and PostgreSQL."""
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class LoyaltyProgramme(Base):
    """The programme's rules; one row, replaced with the shop's own values."""

    __tablename__ = "loyalty_programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    welcome_bonus: Mapped[int]
    points_per_euro: Mapped[int]
    points_validity_months: Mapped[int]
    tier_window_months: Mapped[int]
    voucher_validity_days: Mapped[int]


class Tier(Base):
    __tablename__ = "tiers"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name_de: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(50))
    min_points: Mapped[int] = mapped_column(unique=True)
    birthday_bonus: Mapped[int]


class Reward(Base):
    __tablename__ = "rewards"

    id: Mapped[int] = mapped_column(primary_key=True)
    points: Mapped[int] = mapped_column(unique=True)
    voucher_value_cents: Mapped[int]


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_number: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    postcode: Mapped[str] = mapped_column(String(10))
    mobile: Mapped[str | None] = mapped_column(String(20), unique=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    language: Mapped[str] = mapped_column(String(2))
    marketing_consent: Mapped[bool]
    joined_on: Mapped[dt.date] = mapped_column(Date)
    ledger_version: Mapped[int] = mapped_column(default=0, server_default="0")
    """Raised by every booking that spends points; writing it first serialises spending."""

    transactions: Mapped[list[PointTransaction]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="PointTransaction.id"
    )
    identities: Mapped[list[ChannelIdentity]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="ChannelIdentity.id"
    )


class PointTransaction(Base):
    """One booking on a loyalty account: positive for earned, negative for spent or expired."""

    __tablename__ = "point_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    points: Mapped[int] = mapped_column(Integer)
    booked_on: Mapped[dt.date] = mapped_column(Date, index=True)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(200), default="")

    customer: Mapped[Customer] = relationship(back_populates="transactions")


class Voucher(Base):
    """A reward voucher bought with points; `request_key` makes one confirmation buy one voucher."""

    __tablename__ = "vouchers"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("point_transactions.id", ondelete="CASCADE"), unique=True
    )
    code: Mapped[str] = mapped_column(String(20), unique=True)
    points: Mapped[int]
    value_cents: Mapped[int]
    issued_on: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    request_key: Mapped[str] = mapped_column(String(64), unique=True)


class ChannelIdentity(Base):
    """A channel account (WhatsApp number, Telegram user, shop login) proven to be a customer's."""

    __tablename__ = "channel_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    sender_id: Mapped[str] = mapped_column(String(200), unique=True)
    verified_via: Mapped[str] = mapped_column(String(20))
    verified_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="identities")


class VerificationAttempt(Base):
    """One try to prove an identity with member number and date of birth; failures lock."""

    __tablename__ = "verification_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(200), index=True)
    member_number: Mapped[str] = mapped_column(String(20))
    succeeded: Mapped[bool]
    attempted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    """One customer's thread on one channel; the gateway's unit of ordering."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    sender_id: Mapped[str] = mapped_column(String(200), unique=True)
    language: Mapped[str] = mapped_column(String(2))
    mode: Mapped[str] = mapped_column(String(10), default="bot", server_default="bot")
    """Who answers: `bot`, or during a handoff `queued` (waiting) and `agent` (claimed)."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id"
    )


class Message(Base):
    """Every message in and out, stored before it is forwarded or sent."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "direction", "provider_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(3))
    author: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    """How often the recovery loop asked the assistant again (customer messages only)."""
    claimed_at: Mapped[dt.datetime | None]
    """When a gateway process last took the message to answer it late."""

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class Agent(Base):
    """A person answering customers in the console; passwords are stored as argon2 hashes."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10), default="agent")
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    last_seen_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Handoff(Base):
    """A conversation handed to people: waiting, claimed by an agent, closed (back to the bot)."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), default="waiting", index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]
    """When the long-waiting customer was told they have not been forgotten (once)."""

    conversation: Mapped[Conversation] = relationship()
    agent: Mapped[Agent | None] = relationship()
    notes: Mapped[list[AgentNote]] = relationship(order_by="AgentNote.id")


class AgentNote(Base):
    """An internal note on a handoff: for colleagues, never sent to the customer."""

    __tablename__ = "agent_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(
        ForeignKey("handoffs.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    agent: Mapped[Agent] = relationship()


class Feedback(Base):
    """One rating question and its answer: CSAT (1–5), NPS (0–10) or CES (1–7).

    The question is stored when it is asked (status "asked"), so the once-a-day rule
    and "no thanks" hold; the score and an optional comment follow ("rated"), or the
    customer declines ("declined").
    """

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(4))
    trigger: Mapped[str] = mapped_column(String(20))
    """What led to the question: thanks, goodbye, handoff, request, survey."""
    status: Mapped[str] = mapped_column(String(10), default="asked")
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    handled_by_human: Mapped[bool] = mapped_column(default=False)
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    asked_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    answered_at: Mapped[dt.datetime | None]

    conversation: Mapped[Conversation] = relationship()
    agent: Mapped[Agent | None] = relationship()


class ServiceHours(Base):
    """When people answer (per weekday, shop time zone); outside them a handoff waits."""

    __tablename__ = "service_hours"

    weekday: Mapped[int] = mapped_column(primary_key=True)
    """0 = Monday … 6 = Sunday; a missing day is closed."""
    opens: Mapped[dt.time] = mapped_column(Time)
    closes: Mapped[dt.time] = mapped_column(Time)
