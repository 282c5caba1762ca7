"""Queries on conversations and their message log; callers own the transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.orm import Conversation, Message
from bot.messages import Outbound


def get_or_create_conversation(
    session: Session, *, channel: str, sender_id: str, language: str
) -> Conversation:
    """The sender's conversation, created in `language` on first contact."""
    conversation = find_conversation(session, sender_id=sender_id)
    if conversation is None:
        conversation = Conversation(channel=channel, sender_id=sender_id, language=language)
        session.add(conversation)
        session.flush()
    return conversation


def find_inbound(
    session: Session, *, conversation_id: int, provider_message_id: str
) -> Message | None:
    """A customer message already stored under the provider's id (a retry)."""
    return session.scalar(
        select(Message).where(
            Message.conversation_id == conversation_id,
            Message.direction == "in",
            Message.provider_message_id == provider_message_id,
        )
    )


def add_inbound(
    session: Session,
    *,
    conversation: Conversation,
    text: str,
    provider_message_id: str | None,
    display_text: str | None = None,
) -> Message:
    """Store a customer message as received (not yet answered)."""
    message = Message(
        conversation_id=conversation.id,
        direction="in",
        author="customer",
        text=text,
        payload={"display": display_text} if display_text else {},
        provider_message_id=provider_message_id,
        status="received",
    )
    session.add(message)
    session.flush()
    return message


def add_reply(
    session: Session,
    *,
    inbound: Message,
    author: str,
    text: str,
    payload: dict[str, Any],
) -> Message:
    """Store one reply to a customer message."""
    reply = add_outbound(
        session, conversation=inbound.conversation, author=author, text=text, payload=payload
    )
    reply.status, reply.reply_to_id = "sent", inbound.id
    session.flush()
    return reply


def store_answer(
    session: Session,
    *,
    message_id: int,
    status: str,
    failure_reason: str | None,
    author: str,
    replies: list[Outbound],
    reply_status: str = "sent",
) -> list[int]:
    """Record how a customer message was answered, with the replies; returns the replies' ids.

    Replies a channel still has to push are `sending` until the provider took them, so
    a reply a stopped process never sent is told apart from one the customer got.
    """
    inbound = session.get_one(Message, message_id)
    inbound.status, inbound.failure_reason = status, failure_reason
    ids = []
    for reply in replies:
        stored = add_reply(
            session,
            inbound=inbound,
            author=author,
            text=reply.text or "",
            payload=stored_payload(reply),
        )
        stored.status = reply_status
        ids.append(stored.id)
    return ids


def stored_payload(reply: Outbound) -> dict[str, Any]:
    """What a reply carries besides its text (buttons, custom data), as stored with it."""
    return {k: v for k, v in reply.to_rasa().items() if k not in ("text", "recipient_id")}


def replies_to(session: Session, *, message_id: int, status: str | None = None) -> list[Message]:
    """The replies stored for one customer message, in order (only those in `status`)."""
    query = select(Message).where(Message.reply_to_id == message_id)
    if status is not None:
        query = query.where(Message.status == status)
    return list(session.scalars(query.order_by(Message.id)))


def find_outbound(session: Session, *, provider_message_id: str) -> Message | None:
    """A reply the provider knows under this id (for delivery status reports)."""
    return session.scalar(
        select(Message).where(
            Message.direction == "out", Message.provider_message_id == provider_message_id
        )
    )


def latest_reply_with_buttons(session: Session, *, sender_id: str) -> Message | None:
    """The newest reply in the sender's conversation, if it offered buttons."""
    latest = session.scalar(
        select(Message)
        .join(Conversation)
        .where(Conversation.sender_id == sender_id, Message.direction == "out")
        .order_by(Message.id.desc())
        .limit(1)
    )
    return latest if latest is not None and latest.payload.get("buttons") else None


def find_conversation(session: Session, *, sender_id: str) -> Conversation | None:
    """The sender's conversation, if they ever wrote."""
    return session.scalar(select(Conversation).where(Conversation.sender_id == sender_id))


def conversation_messages(session: Session, *, sender_id: str) -> list[Message]:
    """Everything said in a conversation, oldest first (for restoring a chat window)."""
    return list(
        session.scalars(
            select(Message)
            .join(Conversation)
            .where(Conversation.sender_id == sender_id)
            .order_by(Message.id)
        )
    )


def add_outbound(
    session: Session,
    *,
    conversation: Conversation,
    author: str,
    text: str,
    payload: dict[str, Any],
) -> Message:
    """Store a message to the customer that answers no particular message (agent, bot resuming)."""
    message = Message(
        conversation_id=conversation.id,
        direction="out",
        author=author,
        text=text,
        payload=payload,
        status="sending",
    )
    session.add(message)
    session.flush()
    return message


def last_customer_message(session: Session, *, sender_id: str) -> Message | None:
    """The customer's latest message in the conversation (WhatsApp's 24-hour window)."""
    return session.scalar(
        select(Message)
        .join(Conversation)
        .where(Conversation.sender_id == sender_id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(1)
    )
