"""Answers late the customer messages the assistant could not answer at the time.

When Rasa, the action server or Redis was down, the customer got an apology and
the message stayed `unanswered`; when a gateway process stopped mid-answer, it
stayed `received`. Every gateway process looks for such messages now and then.
Once the assistant is back it takes them one at a time (one process wins each),
asks the assistant in the conversation's order, stores the answer, and sends it
once on the customer's channel after a line that says which message it answers.
A message that fails again waits for the next round, up to a few attempts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import identity
from bot.clock import now
from bot.coordination.protocols import (
    QUEUE_TOPIC,
    Bus,
    ConversationOrder,
    CoordinationUnavailableError,
)
from bot.db import conversations as queries
from bot.db import retries
from bot.db.orm import Message
from bot.messages import Outbound
from bot.outbox import Outbox
from bot.rasa_client import RasaClient, RasaUnavailableError
from bot.responses import DomainResponses

logger = logging.getLogger(__name__)

LATE_ANSWER_RESPONSE = "utter_late_answer"
QUOTE_LENGTH = 80


@dataclass(frozen=True)
class _Late:
    sender_id: str
    channel: str
    language: str
    text: str
    shown: str
    customer: dict[str, Any] | None


class Recovery:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        rasa: RasaClient,
        outbox: Outbox,
        order: ConversationOrder,
        bus: Bus,
        replies: DomainResponses,
        policy: retries.RetryPolicy,
        assistant_ready: Callable[[], Awaitable[bool]],
    ) -> None:
        replies.require(LATE_ANSWER_RESPONSE)
        self._sessions = sessions
        self._rasa = rasa
        self._outbox = outbox
        self._order = order
        self._bus = bus
        self._replies = replies
        self._policy = policy
        self._assistant_ready = assistant_ready

    async def run_forever(self, interval: float) -> None:
        """Look for messages to answer every `interval` seconds while the gateway runs."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.answer_due()
            except Exception:
                logger.exception("Answering messages late failed; trying again in %.0f s", interval)

    async def answer_due(self) -> int:
        """Answer what is due now; returns how many messages got their late answer."""
        due = await asyncio.to_thread(self._due)
        if not due:
            return 0
        if not await self._assistant_ready():
            logger.info(
                "%d customer message(s) wait for a late answer until the assistant is back",
                len(due),
            )
            return 0
        by_sender: dict[str, list[int]] = {}
        for item in due:
            by_sender.setdefault(item.sender_id, []).append(item.message_id)
        answered = 0
        for sender_id, message_ids in by_sender.items():
            try:
                async with self._order.exclusive(sender_id):
                    for message_id in message_ids:
                        outcome = await self._answer_late(message_id)
                        if outcome is None:
                            return answered
                        answered += outcome
            except CoordinationUnavailableError as error:
                logger.warning("Late answers wait until the gateways coordinate again: %s", error)
                return answered
        return answered

    def _due(self) -> list[retries.Due]:
        with self._sessions() as session:
            return retries.due(
                session, now=now(), policy=self._policy, channels=self._outbox.channels
            )

    async def _answer_late(self, message_id: int) -> int | None:
        """1 when answered, 0 when another process took it, None when the assistant failed."""
        late = await asyncio.to_thread(self._take, message_id)
        if late is None:
            return 0
        try:
            replies = await self._rasa.send(
                sender_id=late.sender_id,
                text=late.text,
                input_channel=late.channel,
                metadata={"language": late.language, "customer": late.customer},
            )
            reason = "assistant gave no reply (is the action server running?)"
        except RasaUnavailableError as error:
            replies, reason = [], f"assistant unreachable: {error}"
        if not replies:
            await asyncio.to_thread(self._store, message_id, [], reason[:200])
            logger.warning(
                "Message %s on %s still cannot be answered (%s); trying again later",
                message_id,
                late.channel,
                reason,
            )
            return None
        intro = self._replies.text(
            LATE_ANSWER_RESPONSE, language=late.language, message=_quote(late.shown)
        )
        outgoing = [Outbound(recipient_id=late.sender_id, text=intro), *replies]
        ids, handed_over = await asyncio.to_thread(self._store, message_id, outgoing, None)
        if handed_over:
            await self._bus.publish(QUEUE_TOPIC, {"change": "handoff_requested"})
        sent = await self._outbox.deliver(
            sender_id=late.sender_id,
            channel=late.channel,
            language=late.language,
            ids=ids,
            replies=outgoing,
        )
        logger.info(
            "Message %s on %s answered late with %d replies (%s)",
            message_id,
            late.channel,
            len(replies),
            sent.status,
        )
        return 1

    def _take(self, message_id: int) -> _Late | None:
        with self._sessions.begin() as session:
            if not retries.take(session, message_id=message_id, now=now(), policy=self._policy):
                return None
            message = session.get_one(Message, message_id)
            conversation = message.conversation
            customer = identity.linked_customer(session, conversation.sender_id)
            return _Late(
                sender_id=conversation.sender_id,
                channel=conversation.channel,
                language=conversation.language,
                text=message.text,
                shown=message.payload.get("display") or message.text,
                customer=identity.rasa_metadata(customer),
            )

    def _store(
        self, message_id: int, replies: list[Outbound], failure: str | None
    ) -> tuple[list[int], bool]:
        with self._sessions.begin() as session:
            ids = queries.store_answer(
                session,
                message_id=message_id,
                status="unanswered" if failure else "answered",
                failure_reason=failure,
                author="bot",
                replies=replies,
                reply_status="sending",
            )
            return ids, queries.conversation_mode(session, message_id=message_id) != "bot"


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1].rstrip() + "…"
