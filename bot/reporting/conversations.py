"""What a "conversation" is for reporting: a customer's run of messages without a long pause.

The gateway keeps one thread per sender for ever, so the report cuts it where the
customer paused for more than 60 minutes, as Rasa's session expiry does (it also
counts from the customer's last message). A handoff belongs to the run during
which it was requested: from the run's first customer message to 60 minutes after
its last one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

SESSION_GAP = dt.timedelta(minutes=60)
"""Rasa's session_expiration_time (domain/core.yml)."""


@dataclass(frozen=True)
class Run:
    """One reporting conversation of one thread."""

    conversation_id: int
    started_at: dt.datetime
    ended_at: dt.datetime
    """The run's last customer message."""
    had_handoff: bool = False


def runs(
    messages: Iterable[tuple[int, dt.datetime]], *, gap: dt.timedelta = SESSION_GAP
) -> list[Run]:
    """Cut each thread's customer messages (thread id, time) into runs at pauses over `gap`."""
    times: dict[int, list[dt.datetime]] = defaultdict(list)
    for conversation_id, at in messages:
        times[conversation_id].append(at)
    found: list[Run] = []
    for conversation_id, moments in times.items():
        moments.sort()
        first = last = moments[0]
        for at in moments[1:]:
            if at - last > gap:
                found.append(Run(conversation_id, first, last))
                first = at
            last = at
        found.append(Run(conversation_id, first, last))
    return sorted(found, key=lambda r: (r.started_at, r.conversation_id))


def mark_handoffs(
    found: Iterable[Run],
    requests: Iterable[tuple[int, dt.datetime]],
    *,
    gap: dt.timedelta = SESSION_GAP,
) -> list[Run]:
    """The runs, each marked if a handoff (thread id, requested at) fell inside it."""
    requested: dict[int, list[dt.datetime]] = defaultdict(list)
    for conversation_id, at in requests:
        requested[conversation_id].append(at)
    return [
        Run(
            run.conversation_id,
            run.started_at,
            run.ended_at,
            any(
                run.started_at <= at <= run.ended_at + gap
                for at in requested.get(run.conversation_id, ())
            ),
        )
        for run in found
    ]
