"""Queries on conversations and their message log; callers own the transaction."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from bot.db.orm import Base, Conversation, Message
from bot.messages import Outbound

# The router runs these statements for every message, so they are built once, with
# bound parameters, and the writes go to the tables rather than through the ORM:
# building a statement and its cache key (about 150 µs) and the ORM's unit of work
# cost the gateway more CPU than SQLite needs to run the statement (about 50 µs).
_messages = Base.metadata.tables[Message.__tablename__]
_conversations = Base.metadata.tables[Conversation.__tablename__]
_CONVERSATION_BY_SENDER = select(Conversation).where(
    Conversation.sender_id == bindparam("sender_id")
)
_INBOUND_BY_PROVIDER_ID = select(_messages.c.id, _messages.c.status).where(
    _messages.c.conversation_id == bindparam("conversation_id"),
    _messages.c.direction == "in",
    _messages.c.provider_message_id == bindparam("provider_message_id"),
)
_ADD_MESSAGES = insert(_messages).returning(_messages.c.id, sort_by_parameter_order=True)
_SET_STATUS = (
    update(_messages)
    .where(_messages.c.id == bindparam("message_id"))
    .values(status=bindparam("new_status"), failure_reason=bindparam("new_failure_reason"))
    .returning(_messages.c.conversation_id)
)
_MODE_OF_MESSAGE = (
    select(_conversations.c.mode)
    .join(_messages, _messages.c.conversation_id == _conversations.c.id)
    .where(_messages.c.id == bindparam("message_id"))
)
_FINISH_SENDING = (
    update(_messages)
    .where(
        _messages.c.reply_to_id == bindparam("message_id"),
        _messages.c.status == "sending",
    )
    .values(status=bindparam("new_status"), failure_reason=bindparam("new_failure_reason"))
    .returning(_messages.c.id)
)
_SET_PROVIDER_ID = (
    update(_messages)
    .where(_messages.c.id == bindparam("message_id"))
    .values(provider_message_id=bindparam("new_provider_message_id"))
)


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


class StoredInbound(NamedTuple):
    """A customer message as far as a provider's retry of it needs."""

    id: int
    status: str


def find_inbound(
    session: Session, *, conversation_id: int, provider_message_id: str
) -> StoredInbound | None:
    """A customer message already stored under the provider's id (a retry)."""
    found = session.execute(
        _INBOUND_BY_PROVIDER_ID,
        {"conversation_id": conversation_id, "provider_message_id": provider_message_id},
    ).one_or_none()
    return None if found is None else StoredInbound(found.id, found.status)


def add_inbound(
    session: Session,
    *,
    conversation_id: int,
    text: str,
    provider_message_id: str | None,
    display_text: str | None = None,
    status: str = "received",
) -> int:
    """Store a customer message (`received`: not yet answered); returns its id."""
    row = {
        "conversation_id": conversation_id,
        "direction": "in",
        "author": "customer",
        "text": text,
        "payload": {"display": display_text} if display_text else {},
        "provider_message_id": provider_message_id,
        "status": status,
    }
    return int(session.execute(_ADD_MESSAGES, row).scalar_one())


def set_status(
    session: Session, *, message_id: int, status: str, failure_reason: str | None = None
) -> int:
    """Set a message's status and failure reason (None clears it); returns its conversation id."""
    params = {"message_id": message_id, "new_status": status, "new_failure_reason": failure_reason}
    return int(session.execute(_SET_STATUS, params).scalar_one())


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
    conversation_id = set_status(
        session, message_id=message_id, status=status, failure_reason=failure_reason
    )
    if not replies:
        return []
    rows = [
        {
            "conversation_id": conversation_id,
            "direction": "out",
            "author": author,
            "text": reply.text or "",
            "payload": stored_payload(reply),
            "status": reply_status,
            "reply_to_id": message_id,
        }
        for reply in replies
    ]
    # One INSERT for all replies; their ids grow in the order they are sent in.
    return [int(i) for i in session.scalars(_ADD_MESSAGES, rows)]


def conversation_mode(session: Session, *, message_id: int) -> str:
    """Who answers the conversation of a message: `bot`, or people during a handoff."""
    return str(session.execute(_MODE_OF_MESSAGE, {"message_id": message_id}).scalar_one())


def finish_sending(
    session: Session, *, message_id: int, status: str, failure_reason: str | None = None
) -> list[int]:
    """Move the replies to a message still `sending` to `status`; returns their ids in order.

    Replies stored earlier for the same message (an apology) keep their own status.
    """
    params = {"message_id": message_id, "new_status": status, "new_failure_reason": failure_reason}
    # RETURNING promises no order; the ids grow in the order the replies were stored.
    return sorted(int(i) for i in session.scalars(_FINISH_SENDING, params))


def set_provider_ids(session: Session, *, ids: list[int], provider_ids: list[str | None]) -> None:
    """Record under which id the provider took each reply (`ids` and `provider_ids` pair up)."""
    # Fewer provider ids than replies leaves the rest without one (strict=False on purpose).
    pairs = zip(ids, provider_ids, strict=False)
    rows = [{"message_id": i, "new_provider_message_id": p} for i, p in pairs]
    if rows:
        session.execute(_SET_PROVIDER_ID, rows)


def stored_payload(reply: Outbound) -> dict[str, Any]:
    """What a reply carries besides its text (buttons, custom data), as stored with it."""
    return {k: v for k, v in reply.to_rasa().items() if k not in ("text", "recipient_id")}


def replies_to(session: Session, *, message_id: int) -> list[Message]:
    """The replies stored for one customer message, in order."""
    return list(
        session.scalars(
            select(Message).where(Message.reply_to_id == message_id).order_by(Message.id)
        )
    )


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
    return session.scalar(_CONVERSATION_BY_SENDER, {"sender_id": sender_id})


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
