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
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import identity
from bot.coordination.protocols import (
    QUEUE_TOPIC,
    Bus,
    ConversationOrder,
    CoordinationUnavailableError,
    Turn,
)
from bot.db import conversations as queries
from bot.db.orm import Customer, Message
from bot.language import LanguageDetector
from bot.messages import Button, Inbound, Outbound
from bot.rasa_client import RasaClient, RasaUnavailableError
from bot.responses import DomainResponses

logger = logging.getLogger(__name__)

APOLOGY_RESPONSE = "utter_service_unavailable"

Deliver = Callable[[list[Outbound], str], Awaitable[list[str | None]]]
"""Sends replies (in the conversation's language) on the customer's channel and returns the
provider's id of each (or None); raises when the provider refuses them."""


@dataclass(frozen=True)
class _Stored:
    message_id: int
    language: str
    earlier_replies: list[Outbound] | None
    customer: dict[str, Any] | None = None
    is_new: bool = True
    for_agent: bool = False
    """The conversation is with people (handoff): the assistant is not asked."""


@dataclass(frozen=True)
class _Answer:
    replies: list[Outbound]
    author: str
    status: str
    failure_reason: str | None = None


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
    ) -> None:
        replies.require(APOLOGY_RESPONSE)
        self._sessions = sessions
        self._rasa = rasa
        self._detector = detector
        self._replies = replies
        self._default_language = default_language
        self._order = order
        self._bus = bus
        self._tails: dict[str, asyncio.Task[None]] = {}

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        """Answer one customer message exactly once; a provider retry gets the same replies."""
        try:
            async with self._order.exclusive(inbound.sender_id):
                return await self._handle(inbound, unavailable=None)
        except CoordinationUnavailableError as error:
            return await self._handle(inbound, unavailable=error)

    async def _handle(
        self, inbound: Inbound, *, unavailable: CoordinationUnavailableError | None
    ) -> list[Outbound]:
        stored = await asyncio.to_thread(self._store_inbound, inbound)
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
            stored = await asyncio.to_thread(self._store_inbound, inbound)
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
        stored: _Stored,
        deliver: Deliver,
        previous: asyncio.Task[None] | None,
        turn: Turn,
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            async with self._order.in_turn(inbound.sender_id, turn):
                answer = await self._answer(inbound, stored)
        except CoordinationUnavailableError as error:
            answer = await self._give_up(inbound, stored, error)
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
            await asyncio.to_thread(self._mark_replies_failed, stored.message_id, reason)
            return
        await asyncio.to_thread(self._record_provider_ids, stored.message_id, provider_ids)

    def _forget_tail(self, sender: str, task: asyncio.Task[None]) -> None:
        if self._tails.get(sender) is task:
            del self._tails[sender]

    async def _answer(self, inbound: Inbound, stored: _Stored) -> _Answer:
        started = time.monotonic()
        answer = await self._ask_assistant(inbound, stored)
        handed_over = await asyncio.to_thread(self._store_answer, stored.message_id, answer)
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

    def _store_inbound(self, inbound: Inbound) -> _Stored:
        with self._sessions.begin() as session:
            customer = _identify(session, inbound)
            conversation = queries.get_or_create_conversation(
                session,
                channel=inbound.channel,
                sender_id=inbound.sender_id,
                language=self._initial_language(
                    inbound.language_hint or (customer.language if customer else None)
                ),
            )
            message = None
            if inbound.provider_message_id is not None:
                message = queries.find_inbound(
                    session,
                    conversation_id=conversation.id,
                    provider_message_id=inbound.provider_message_id,
                )
            if message is not None and message.status != "received":
                earlier = queries.replies_to(session, message_id=message.id)
                return _Stored(
                    message.id, conversation.language, _outbound(inbound, earlier), is_new=False
                )
            if not inbound.text.startswith("/"):
                # Button payloads ("/choose_topic{...}") say nothing about the language.
                conversation.language = self._detector.detect(
                    inbound.text, current=conversation.language
                )
            is_new = message is None
            if message is None:
                message = queries.add_inbound(
                    session,
                    conversation=conversation,
                    text=inbound.text,
                    provider_message_id=inbound.provider_message_id,
                    display_text=inbound.display_text,
                )
            for_agent = conversation.mode != "bot"
            if for_agent:
                message.status = "for_agent"
            return _Stored(
                message.id,
                conversation.language,
                None,
                identity.rasa_metadata(customer),
                is_new,
                for_agent,
            )

    def _initial_language(self, hint: str | None) -> str:
        language = (hint or "")[:2].lower()
        return language if language in self._detector.languages else self._default_language

    async def _ask_assistant(self, inbound: Inbound, stored: _Stored) -> _Answer:
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
                return _Answer(replies=replies, author="bot", status="answered")
            reason = "assistant gave no reply (is the action server running?)"
        return self._apology(inbound, stored, reason)

    async def _give_up(
        self, inbound: Inbound, stored: _Stored, error: CoordinationUnavailableError
    ) -> _Answer:
        # Without the conversation lock another process might be answering the same
        # conversation; asking the assistant anyway could answer out of order.
        answer = self._apology(inbound, stored, f"conversation lock unavailable: {error}")
        await asyncio.to_thread(self._store_answer, stored.message_id, answer)
        return answer

    def _apology(self, inbound: Inbound, stored: _Stored, reason: str) -> _Answer:
        reason = reason[:200]
        logger.warning(
            "Message %s on %s could not be answered (%s); the customer got an apology "
            "and the message is kept as unanswered",
            stored.message_id,
            inbound.channel,
            reason,
        )
        apology = Outbound(
            recipient_id=inbound.sender_id,
            text=self._replies.text(APOLOGY_RESPONSE, language=stored.language),
        )
        return _Answer(
            replies=[apology], author="system", status="unanswered", failure_reason=reason
        )

    async def update_delivery(
        self, provider_message_id: str, status: str, reason: str | None
    ) -> bool:
        """Record what the provider reports about a sent reply (delivered, read, failed)."""
        return await asyncio.to_thread(self._update_delivery, provider_message_id, status, reason)

    def _update_delivery(self, provider_message_id: str, status: str, reason: str | None) -> bool:
        with self._sessions.begin() as session:
            reply = queries.find_outbound(session, provider_message_id=provider_message_id)
            if reply is None:
                return False
            reply.status, reply.failure_reason = status, reason
            return True

    async def offered_buttons(self, sender_id: str) -> list[Button]:
        """The buttons of the latest reply in a conversation (for numbered-list channels)."""
        return await asyncio.to_thread(self._offered_buttons, sender_id)

    def _offered_buttons(self, sender_id: str) -> list[Button]:
        with self._sessions() as session:
            reply = queries.latest_reply_with_buttons(session, sender_id=sender_id)
            if reply is None:
                return []
            return [Button(b["title"], b["payload"]) for b in reply.payload.get("buttons", [])]

    def _record_provider_ids(self, message_id: int, provider_ids: list[str | None]) -> None:
        with self._sessions.begin() as session:
            for reply, provider_id in zip(
                queries.replies_to(session, message_id=message_id), provider_ids, strict=False
            ):
                reply.provider_message_id = provider_id

    def _mark_replies_failed(self, message_id: int, reason: str) -> None:
        with self._sessions.begin() as session:
            for reply in queries.replies_to(session, message_id=message_id):
                reply.status, reply.failure_reason = "failed", reason

    def _store_answer(self, message_id: int, answer: _Answer) -> bool:
        """Store the answer; True when the assistant handed the conversation to people."""
        with self._sessions.begin() as session:
            inbound = session.get_one(Message, message_id)
            inbound.status = answer.status
            inbound.failure_reason = answer.failure_reason
            for reply in answer.replies:
                payload: dict[str, Any] = {k: v for k, v in reply.to_rasa().items() if k != "text"}
                payload.pop("recipient_id")
                queries.add_reply(
                    session,
                    inbound=inbound,
                    author=answer.author,
                    text=reply.text or "",
                    payload=payload,
                )
            return inbound.conversation.mode != "bot"

    async def _for_agent(self, inbound: Inbound, stored: _Stored) -> None:
        logger.info(
            "Message %s on %s is for the person handling the conversation, not the assistant",
            stored.message_id,
            inbound.channel,
        )
        await self._bus.publish(QUEUE_TOPIC, {"change": "customer_wrote"})


def _identify(session: Session, inbound: Inbound) -> Customer | None:
    # Proof the channel brings (a WhatsApp number, a shop login) links the sender;
    # otherwise the sender is whoever an earlier proof linked them to.
    proof = inbound.identity
    if proof is not None:
        found = identity.link_by_proof(
            session,
            channel=inbound.channel,
            sender_id=inbound.sender_id,
            via=identity.VerifiedVia(proof.via),
            phone=proof.phone,
            member_number=proof.member_number,
        )
        if found is not None:
            return found
    return identity.linked_customer(session, inbound.sender_id)


def _outbound(inbound: Inbound, stored: list[Message]) -> list[Outbound]:
    return [
        Outbound.from_rasa({"recipient_id": inbound.sender_id, "text": m.text or None, **m.payload})
        for m in stored
    ]
