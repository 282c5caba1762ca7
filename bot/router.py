"""Stores every customer message, asks the assistant, stores and returns the replies.

A message is committed before Rasa sees it, so nothing a customer sent is lost
when Rasa or the action server is down; the customer then gets an apology in
their language and the message stays marked `unanswered`. The same happens when
the gateway processes cannot agree who answers it (Redis unreachable).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.orm import Session, sessionmaker

from bot import server_timing
from bot.coordination.protocols import (
    QUEUE_TOPIC,
    Bus,
    ConversationOrder,
    CoordinationUnavailableError,
    Turn,
)
from bot.language import LanguageDetector
from bot.message_log import Answer, MessageLog, Stored
from bot.messages import Button, Inbound, Outbound
from bot.rasa_client import RasaClient, RasaUnavailableError
from bot.responses import DomainResponses

logger = logging.getLogger(__name__)

APOLOGY_RESPONSE = "utter_service_unavailable"
LATER_RESPONSE = "utter_service_delayed"
"""The apology on channels where the recovery loop (bot/recovery.py) answers later."""

Deliver = Callable[[list[Outbound], str], Awaitable[list[str | None]]]
"""Sends replies (in the conversation's language) on the customer's channel and returns the
provider's id of each (or None); raises when the provider refuses them."""


class Router:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        rasa: RasaClient,
        detector: LanguageDetector,
        replies: DomainResponses,
        default_language: str,
        order: ConversationOrder,
        bus: Bus,
        answers_later: Callable[[str], bool] | None = None,
    ) -> None:
        replies.require(APOLOGY_RESPONSE, LATER_RESPONSE)
        self._log = MessageLog(sessions, detector=detector, default_language=default_language)
        self._rasa = rasa
        self._replies = replies
        self._order = order
        self._bus = bus
        self._answers_later = answers_later or (lambda channel: False)
        self._tails: dict[str, asyncio.Task[None]] = {}

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        """Answer one customer message exactly once; a provider retry gets the same replies."""
        started = time.perf_counter()
        try:
            async with self._order.exclusive(inbound.sender_id):
                server_timing.record("turn", started)
                return await self._handle(inbound, unavailable=None)
        except CoordinationUnavailableError as error:
            return await self._handle(inbound, unavailable=error)

    async def _handle(
        self, inbound: Inbound, *, unavailable: CoordinationUnavailableError | None
    ) -> list[Outbound]:
        with server_timing.span("store"):
            stored = await asyncio.to_thread(self._log.store_inbound, inbound)
        if stored.earlier_replies is not None:
            logger.info(
                "Message %s from %s was already answered (provider retry); sent the same reply",
                inbound.provider_message_id,
                inbound.channel,
            )
            return stored.earlier_replies
        if stored.for_agent:
            await self._for_agent(inbound, stored)
            return []
        if unavailable is not None:
            return (await self._give_up(inbound, stored, unavailable)).replies
        return (await self._answer(inbound, stored)).replies

    async def accept(self, inbound: Inbound, deliver: Deliver) -> bool:
        """Store a message now and answer it in the background through `deliver`.

        For channels that acknowledge first and reply later (Telegram, WhatsApp). The
        message is committed before this returns; messages of one conversation are
        answered and delivered in the order they were accepted (by any gateway
        process, when they coordinate through Redis). True when the
        assistant will answer; False for a message stored before (a provider retry,
        not answered again) and for one that waits for a person (handoff).
        """
        sender = inbound.sender_id
        async with self._order.arriving(sender) as arrival:
            stored = await asyncio.to_thread(self._log.store_inbound, inbound)
            if stored.is_new and not stored.for_agent:
                turn = await arrival.take_turn()
                previous = self._tails.get(sender)
                task = asyncio.create_task(
                    self._answer_in_turn(inbound, stored, deliver, previous, turn)
                )
                self._tails[sender] = task
                task.add_done_callback(lambda done: self._forget_tail(sender, done))
                return True
        if not stored.is_new:
            logger.info(
                "Message %s on %s arrived again (provider retry); it is handled only once",
                inbound.provider_message_id,
                inbound.channel,
            )
        else:
            await self._for_agent(inbound, stored)
        return False

    async def drain(self) -> None:
        """Wait for the answers still being worked on (at shutdown)."""
        pending = list(self._tails.values())
        if pending:
            logger.info("Finishing %d conversation(s) before stopping", len(pending))
            await asyncio.wait(pending)

    async def _answer_in_turn(
        self,
        inbound: Inbound,
        stored: Stored,
        deliver: Deliver,
        previous: asyncio.Task[None] | None,
        turn: Turn,
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            async with self._order.in_turn(inbound.sender_id, turn):
                answer = await self._answer(inbound, stored, reply_status="sending")
        except CoordinationUnavailableError as error:
            answer = await self._give_up(inbound, stored, error, reply_status="sending")
        try:
            provider_ids = await deliver(answer.replies, stored.language)
        except Exception as error:  # noqa: BLE001 - any channel failure is recorded, not raised
            reason = f"{type(error).__name__}: {error}"[:200]
            logger.error(
                "The reply to message %s could not be sent on %s (%s); it is kept as failed",
                stored.message_id,
                inbound.channel,
                reason,
            )
            await asyncio.to_thread(self._log.mark_replies_failed, stored.message_id, reason)
            return
        await asyncio.to_thread(self._log.record_provider_ids, stored.message_id, provider_ids)

    def _forget_tail(self, sender: str, task: asyncio.Task[None]) -> None:
        if self._tails.get(sender) is task:
            del self._tails[sender]

    async def _answer(
        self, inbound: Inbound, stored: Stored, *, reply_status: str = "sent"
    ) -> Answer:
        started = time.monotonic()
        with server_timing.span("assistant"):
            answer = await self._ask_assistant(inbound, stored)
        with server_timing.span("save"):
            handed_over = await asyncio.to_thread(
                self._log.store_answer, stored.message_id, answer, reply_status
            )
        if handed_over:
            await self._bus.publish(QUEUE_TOPIC, {"change": "handoff_requested"})
        logger.info(
            "Message %s on %s: %s with %d repl%s in %.0f ms",
            stored.message_id,
            inbound.channel,
            answer.status,
            len(answer.replies),
            "y" if len(answer.replies) == 1 else "ies",
            (time.monotonic() - started) * 1000,
        )
        logger.debug("Message %s text: %r", stored.message_id, inbound.text)
        return answer

    async def _ask_assistant(self, inbound: Inbound, stored: Stored) -> Answer:
        metadata = {**inbound.metadata, "language": stored.language, "customer": stored.customer}
        try:
            replies = await self._rasa.send(
                sender_id=inbound.sender_id,
                text=inbound.text,
                input_channel=inbound.channel,
                metadata=metadata,
            )
        except RasaUnavailableError as error:
            reason = f"assistant unreachable: {error}"
        else:
            if replies:
                return Answer(replies=replies, author="bot", status="answered")
            reason = "assistant gave no reply (is the action server running?)"
        return self._apology(inbound, stored, reason)

    async def _give_up(
        self,
        inbound: Inbound,
        stored: Stored,
        error: CoordinationUnavailableError,
        *,
        reply_status: str = "sent",
    ) -> Answer:
        # Without the conversation lock another process might be answering the same
        # conversation; asking the assistant anyway could answer out of order.
        answer = self._apology(inbound, stored, f"conversation lock unavailable: {error}")
        await asyncio.to_thread(self._log.store_answer, stored.message_id, answer, reply_status)
        return answer

    def _apology(self, inbound: Inbound, stored: Stored, reason: str) -> Answer:
        reason = reason[:200]
        logger.warning(
            "Message %s on %s could not be answered (%s); the customer got an apology "
            "and the message is kept as unanswered",
            stored.message_id,
            inbound.channel,
            reason,
        )
        later = self._answers_later(inbound.channel)
        apology = Outbound(
            recipient_id=inbound.sender_id,
            text=self._replies.text(
                LATER_RESPONSE if later else APOLOGY_RESPONSE, language=stored.language
            ),
        )
        return Answer(
            replies=[apology], author="system", status="unanswered", failure_reason=reason
        )

    async def update_delivery(
        self, provider_message_id: str, status: str, reason: str | None
    ) -> bool:
        """Record what the provider reports about a sent reply (delivered, read, failed)."""
        return await asyncio.to_thread(
            self._log.update_delivery, provider_message_id, status, reason
        )

    async def offered_buttons(self, sender_id: str) -> list[Button]:
        """The buttons of the latest reply in a conversation (for numbered-list channels)."""
        return await asyncio.to_thread(self._log.offered_buttons, sender_id)

    async def _for_agent(self, inbound: Inbound, stored: Stored) -> None:
        logger.info(
            "Message %s on %s is for the person handling the conversation, not the assistant",
            stored.message_id,
            inbound.channel,
        )
        await self._bus.publish(QUEUE_TOPIC, {"change": "customer_wrote"})
