"""The console's live queue socket: pushed on change, checked against the database as well.

With Redis, every gateway process publishes queue changes (QUEUE_TOPIC), so an
open console refreshes at once and looks at the database only every
SAFETY_REFRESH_SECONDS, for what no event announces (a wait growing long). A
single process, or one cut off from Redis, checks every QUEUE_REFRESH_SECONDS,
because the action server queues handoffs behind its back.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import now
from bot.console import views
from bot.coordination.protocols import QUEUE_TOPIC, Bus, Event

QUEUE_REFRESH_SECONDS = 1.0
SAFETY_REFRESH_SECONDS = 15.0
PRESENCE_SECONDS = 30.0
"""How often an open console marks its agent as online (well inside the 2-minute window)."""


def queue_snapshot(
    sessions: sessionmaker[Session], escalate_after: dt.timedelta
) -> list[dict[str, Any]]:
    """The queue as the console shows it (JSON-ready)."""
    with sessions() as session:
        entries = views.queue_entries(session, now=now(), escalate_after=escalate_after)
        return [dataclasses.asdict(e) for e in entries]


async def stream_queue(
    socket: WebSocket,
    *,
    sessions: sessionmaker[Session],
    escalate_after: dt.timedelta,
    bus: Bus,
    mark_present: Callable[[], object],
) -> None:
    """Send the queue whenever it differs from what the socket last got, until it closes."""
    changed = asyncio.Event()

    async def on_change(_: Event) -> None:
        changed.set()

    unsubscribe = bus.subscribe(QUEUE_TOPIC, on_change)
    closed = asyncio.create_task(_until_closed(socket))
    last: Any = None
    seen_at = time.monotonic()
    try:
        while not closed.done():
            if time.monotonic() - seen_at >= PRESENCE_SECONDS:
                # An open console counts as online; a write a second per tab is not needed.
                await asyncio.to_thread(mark_present)
                seen_at = time.monotonic()
            changed.clear()
            snapshot = await asyncio.to_thread(queue_snapshot, sessions, escalate_after)
            if snapshot != last:
                await socket.send_json(snapshot)
                last = snapshot
            refresh = SAFETY_REFRESH_SECONDS if bus.spans_processes else QUEUE_REFRESH_SECONDS
            presence_due = PRESENCE_SECONDS - (time.monotonic() - seen_at)
            woken = asyncio.create_task(changed.wait())
            await asyncio.wait(
                {woken, closed},
                timeout=max(min(refresh, presence_due), 0),
                return_when=asyncio.FIRST_COMPLETED,
            )
            woken.cancel()
    except (WebSocketDisconnect, RuntimeError, OSError):
        return
    finally:
        closed.cancel()
        unsubscribe()


async def _until_closed(socket: WebSocket) -> None:
    # The console never writes; reading tells when the tab went away, so a closed
    # console stops looking at the database at once rather than at its next change.
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while (await socket.receive())["type"] != "websocket.disconnect":
            pass
