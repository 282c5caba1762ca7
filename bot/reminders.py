"""Customers waiting long for a person are told once that they have not been forgotten."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy.orm import Session, sessionmaker

from bot import handoff
from bot.clock import now
from bot.db.orm import Handoff
from bot.messages import Outbound
from bot.outbox import Outbox
from bot.responses import DomainResponses

logger = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 30.0
STILL_WAITING_RESPONSE = "utter_handoff_still_waiting"


class WaitingReminder:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        outbox: Outbox,
        replies: DomainResponses,
        after: dt.timedelta,
    ) -> None:
        replies.require(STILL_WAITING_RESPONSE)
        self._sessions = sessions
        self._outbox = outbox
        self._replies = replies
        self._after = after

    async def run_forever(self, interval: float = CHECK_INTERVAL_SECONDS) -> None:
        """Check now and then while the gateway runs; a failed round is logged and retried."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.remind_due()
            except Exception:
                logger.exception("Reminding waiting customers failed; trying again later")

    async def remind_due(self) -> int:
        """Send the reminder to every customer due for it; returns how many got it."""
        moment = now()
        due = await asyncio.to_thread(self._due, moment)
        sent = 0
        for handoff_id in due:
            target = await asyncio.to_thread(self._take, handoff_id, moment)
            if target is None:
                continue
            sender_id, language = target
            text = self._replies.text(STILL_WAITING_RESPONSE, language=language)
            await self._outbox.send(
                sender_id=sender_id, author="bot", replies=[Outbound(sender_id, text)]
            )
            logger.info("Told %s, waiting for a person, that they are not forgotten", sender_id)
            sent += 1
        return sent

    def _due(self, moment: dt.datetime) -> list[int]:
        with self._sessions() as session:
            return handoff.due_for_reminder(session, now=moment, after=self._after)

    def _take(self, handoff_id: int, moment: dt.datetime) -> tuple[str, str] | None:
        with self._sessions.begin() as session:
            if not handoff.mark_reminded(session, handoff_id=handoff_id, now=moment):
                return None
            conversation = session.get_one(Handoff, handoff_id).conversation
            return conversation.sender_id, conversation.language
