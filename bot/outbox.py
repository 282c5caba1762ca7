"""Messages to a customer that answer no particular message: an agent's reply, the bot resuming.

Each channel registers how it sends to a conversation. A message is stored
first and marked sent, failed (with the provider's reason) or undeliverable
(a channel that cannot push, like the synchronous REST channel).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import identity
from bot.clock import as_utc
from bot.coordination.protocols import ConversationOrder, CoordinationUnavailableError
from bot.db import conversations as queries
from bot.messages import Outbound
from bot.rasa_client import RasaClient, RasaUnavailableError

logger = logging.getLogger(__name__)

ChannelSender = Callable[[str, list[Outbound], str], Awaitable[list[str | None]]]
"""Sends replies to a conversation (sender id, replies, language); returns provider ids."""

RESUME_PAYLOAD = "/handoff_closed"


@dataclass(frozen=True)
class Sent:
    message_ids: list[int]
    status: str
    reason: str | None = None


class Outbox:
    def __init__(
        self, sessions: sessionmaker[Session], rasa: RasaClient, order: ConversationOrder
    ) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._order = order
        self._senders: dict[str, ChannelSender] = {}

    def register(self, channel: str, send: ChannelSender) -> None:
        """Let the outbox reach conversations on `channel`."""
        self._senders[channel] = send

    def can_send(self, channel: str) -> bool:
        """Whether messages can reach a conversation on `channel` without the customer asking."""
        return channel in self._senders

    @property
    def channels(self) -> list[str]:
        """The channels messages can reach without the customer asking."""
        return sorted(self._senders)

    async def send(self, *, sender_id: str, author: str, replies: list[Outbound]) -> Sent:
        """Store and send messages to the conversation on its own channel."""
        channel, language, ids = await asyncio.to_thread(self._store, sender_id, author, replies)
        return await self.deliver(
            sender_id=sender_id, channel=channel, language=language, ids=ids, replies=replies
        )

    async def deliver(
        self,
        *,
        sender_id: str,
        channel: str,
        language: str,
        ids: list[int],
        replies: list[Outbound],
    ) -> Sent:
        """Send stored messages (`ids`, one per reply) once, and record what became of them."""
        send = self._senders.get(channel)
        if send is None:
            reason = f"the {channel} channel cannot send messages on its own"
            await asyncio.to_thread(self._mark, ids, "undeliverable", reason)
            return Sent(ids, "undeliverable", reason)
        try:
            provider_ids = await send(sender_id, replies, language)
        except Exception as error:  # noqa: BLE001 - any provider failure is recorded
            reason = f"{type(error).__name__}: {error}"[:200]
            logger.error("A message to %s could not be sent (%s)", sender_id, reason)
            await asyncio.to_thread(self._mark, ids, "failed", reason)
            return Sent(ids, "failed", reason)
        await asyncio.to_thread(self._mark, ids, "sent", None, provider_ids)
        return Sent(ids, "sent")

    async def resume_assistant(self, sender_id: str) -> Sent | None:
        """After a handoff: the assistant greets the customer back (and asks how it went).

        It holds the conversation like an answer does, so a message the customer sends
        meanwhile reaches Rasa after the greeting, not interleaved with it.
        """
        channel, metadata = await asyncio.to_thread(self._assistant_context, sender_id)
        try:
            async with self._order.exclusive(sender_id):
                replies = await self._rasa.send(
                    sender_id=sender_id,
                    text=RESUME_PAYLOAD,
                    input_channel=channel,
                    metadata=metadata,
                )
        except (RasaUnavailableError, CoordinationUnavailableError) as error:
            logger.warning("The assistant could not take %s back (%s)", sender_id, error)
            return None
        return await self.send(sender_id=sender_id, author="bot", replies=replies)

    async def last_customer_message_at(self, sender_id: str) -> dt.datetime:
        """When the customer last wrote (WhatsApp allows free-form messages for 24 h after)."""
        return await asyncio.to_thread(self._last_customer_message_at, sender_id)

    def _last_customer_message_at(self, sender_id: str) -> dt.datetime:
        with self._sessions() as session:
            message = queries.last_customer_message(session, sender_id=sender_id)
            if message is None:
                return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
            return as_utc(message.created_at)

    def _store(
        self, sender_id: str, author: str, replies: list[Outbound]
    ) -> tuple[str, str, list[int]]:
        with self._sessions.begin() as session:
            conversation = queries.find_conversation(session, sender_id=sender_id)
            if conversation is None:
                raise LookupError(f"no conversation {sender_id}")
            ids = [
                queries.add_outbound(
                    session,
                    conversation=conversation,
                    author=author,
                    text=reply.text or "",
                    payload=queries.stored_payload(reply),
                ).id
                for reply in replies
            ]
            return conversation.channel, conversation.language, ids

    def _mark(
        self,
        ids: list[int],
        status: str,
        reason: str | None,
        provider_ids: list[str | None] | None = None,
    ) -> None:
        with self._sessions.begin() as session:
            for message_id in ids:
                queries.set_status(
                    session, message_id=message_id, status=status, failure_reason=reason
                )
            if provider_ids is not None:
                queries.set_provider_ids(session, ids=ids, provider_ids=provider_ids)

    def _assistant_context(self, sender_id: str) -> tuple[str, dict[str, Any]]:
        with self._sessions() as session:
            conversation = queries.find_conversation(session, sender_id=sender_id)
            if conversation is None:
                raise LookupError(f"no conversation {sender_id}")
            customer = identity.linked_customer(session, sender_id)
            return conversation.channel, {
                "language": conversation.language,
                "customer": identity.rasa_metadata(customer),
            }
