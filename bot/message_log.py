"""The gateway's record of a conversation: customer messages in, replies out, their fate.

Storing a message links the sender to a customer when the channel proves who they
are, finds a provider's retry of a message already stored, and follows the
conversation's language. Answers are stored with their replies before they are sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import identity
from bot.db import conversations as queries
from bot.db.orm import Customer, Message
from bot.language import LanguageDetector
from bot.messages import Button, Inbound, Outbound


@dataclass(frozen=True)
class Stored:
    message_id: int
    language: str
    earlier_replies: list[Outbound] | None
    customer: dict[str, Any] | None = None
    is_new: bool = True
    for_agent: bool = False
    """The conversation is with people (handoff): the assistant is not asked."""


@dataclass(frozen=True)
class Answer:
    replies: list[Outbound]
    author: str
    status: str
    failure_reason: str | None = None


class MessageLog:
    """Synchronous database work of the router; callers run it in a worker thread."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        detector: LanguageDetector,
        default_language: str,
    ) -> None:
        self._sessions = sessions
        self._detector = detector
        self._default_language = default_language

    def store_inbound(self, inbound: Inbound) -> Stored:
        """Store a customer message (or find the retry's original) before anything else."""
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
            found = None
            if inbound.provider_message_id is not None:
                found = queries.find_inbound(
                    session,
                    conversation_id=conversation.id,
                    provider_message_id=inbound.provider_message_id,
                )
            if found is not None and found.status != "received":
                earlier = queries.replies_to(session, message_id=found.id)
                return Stored(
                    found.id, conversation.language, _outbound(inbound, earlier), is_new=False
                )
            if not inbound.text.startswith("/"):
                # Button payloads ("/choose_topic{...}") say nothing about the language.
                language = self._detector.detect(inbound.text, current=conversation.language)
                if language != conversation.language:
                    # Assigned only on a change: the commit's flush skips an untouched object.
                    conversation.language = language
            for_agent = conversation.mode != "bot"
            status = "for_agent" if for_agent else "received"
            if found is None:
                message_id = queries.add_inbound(
                    session,
                    conversation_id=conversation.id,
                    text=inbound.text,
                    provider_message_id=inbound.provider_message_id,
                    display_text=inbound.display_text,
                    status=status,
                )
            else:
                message_id = found.id
                if for_agent:
                    queries.set_status(session, message_id=message_id, status=status)
            return Stored(
                message_id,
                conversation.language,
                None,
                identity.rasa_metadata(customer),
                is_new=found is None,
                for_agent=for_agent,
            )

    def _initial_language(self, hint: str | None) -> str:
        language = (hint or "")[:2].lower()
        return language if language in self._detector.languages else self._default_language

    def update_delivery(self, provider_message_id: str, status: str, reason: str | None) -> bool:
        """Record a provider's delivery report on the reply it names; False when unknown."""
        with self._sessions.begin() as session:
            reply = queries.find_outbound(session, provider_message_id=provider_message_id)
            if reply is None:
                return False
            reply.status, reply.failure_reason = status, reason
            return True

    def offered_buttons(self, sender_id: str) -> list[Button]:
        """The buttons of the latest reply, so a typed "2" can pick the second one."""
        with self._sessions() as session:
            reply = queries.latest_reply_with_buttons(session, sender_id=sender_id)
            if reply is None:
                return []
            return [Button(b["title"], b["payload"]) for b in reply.payload.get("buttons", [])]

    def record_provider_ids(self, message_id: int, provider_ids: list[str | None]) -> None:
        """The provider took the replies: they are sent, under the provider's ids.

        Only replies still `sending` are this delivery's: an apology sent earlier
        for the same message keeps its own status and provider id.
        """
        with self._sessions.begin() as session:
            ids = queries.finish_sending(session, message_id=message_id, status="sent")
            queries.set_provider_ids(session, ids=ids, provider_ids=provider_ids)

    def mark_replies_failed(self, message_id: int, reason: str) -> None:
        """The provider refused the replies; the reason stays for the console."""
        with self._sessions.begin() as session:
            queries.finish_sending(
                session, message_id=message_id, status="failed", failure_reason=reason
            )

    def store_answer(self, message_id: int, answer: Answer, reply_status: str) -> bool:
        """Store the answer; True when the assistant handed the conversation to people."""
        with self._sessions.begin() as session:
            queries.store_answer(
                session,
                message_id=message_id,
                status=answer.status,
                failure_reason=answer.failure_reason,
                author=answer.author,
                replies=answer.replies,
                reply_status=reply_status,
            )
            return queries.conversation_mode(session, message_id=message_id) != "bot"


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
