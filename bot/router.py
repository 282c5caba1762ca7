"""Stores every customer message, asks the assistant, stores and returns the replies.

A message is committed before Rasa sees it, so nothing a customer sent is lost
when Rasa or the action server is down; the customer then gets an apology in
their language and the message stays marked `unanswered`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import identity
from bot.db import conversations as queries
from bot.db.orm import Customer, Message
from bot.language import LanguageDetector
from bot.locks import KeyedLocks
from bot.messages import Inbound, Outbound
from bot.rasa_client import RasaClient, RasaUnavailableError
from bot.responses import DomainResponses

logger = logging.getLogger(__name__)

APOLOGY_RESPONSE = "utter_service_unavailable"


@dataclass(frozen=True)
class _Stored:
    message_id: int
    language: str
    earlier_replies: list[Outbound] | None
    customer: dict[str, Any] | None = None


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
    ) -> None:
        replies.require(APOLOGY_RESPONSE)
        self._sessions = sessions
        self._rasa = rasa
        self._detector = detector
        self._replies = replies
        self._default_language = default_language
        self._locks = KeyedLocks()

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        """Answer one customer message exactly once; a provider retry gets the same replies."""
        async with self._locks.hold(inbound.sender_id):
            stored = await asyncio.to_thread(self._store_inbound, inbound)
            if stored.earlier_replies is not None:
                logger.info(
                    "Message %s from %s was already answered (provider retry); sent the same reply",
                    inbound.provider_message_id,
                    inbound.channel,
                )
                return stored.earlier_replies
            started = time.monotonic()
            answer = await self._ask_assistant(inbound, stored)
            await asyncio.to_thread(self._store_answer, stored.message_id, answer)
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
            return answer.replies

    def _store_inbound(self, inbound: Inbound) -> _Stored:
        with self._sessions.begin() as session:
            conversation = queries.get_or_create_conversation(
                session,
                channel=inbound.channel,
                sender_id=inbound.sender_id,
                language=self._initial_language(inbound.language_hint),
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
                return _Stored(message.id, conversation.language, _outbound(inbound, earlier))
            if not inbound.text.startswith("/"):
                # Button payloads ("/choose_topic{...}") say nothing about the language.
                conversation.language = self._detector.detect(
                    inbound.text, current=conversation.language
                )
            if message is None:
                message = queries.add_inbound(
                    session,
                    conversation=conversation,
                    text=inbound.text,
                    provider_message_id=inbound.provider_message_id,
                )
            customer = _identify(session, inbound)
            return _Stored(message.id, conversation.language, None, _customer_metadata(customer))

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
            reason = f"assistant unreachable: {error}"[:200]
        else:
            if replies:
                return _Answer(replies=replies, author="bot", status="answered")
            reason = "assistant gave no reply (is the action server running?)"
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

    def _store_answer(self, message_id: int, answer: _Answer) -> None:
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


def _customer_metadata(customer: Customer | None) -> dict[str, Any] | None:
    # Rasa learns only that the sender is verified and their first name (for the greeting).
    if customer is None:
        return None
    return {"verified": True, "first_name": customer.first_name}


def _outbound(inbound: Inbound, stored: list[Message]) -> list[Outbound]:
    return [
        Outbound.from_rasa({"recipient_id": inbound.sender_id, "text": m.text or None, **m.payload})
        for m in stored
    ]
