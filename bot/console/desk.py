"""What agents do to handoffs in the database, for the console's routes.

Each function is one transaction and runs in a worker thread; a request that
does not fit the handoff's state answers with the HTTP status the routes need.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import handoff
from bot.clock import now
from bot.console import accounts, reporting, views
from bot.db.orm import Agent, Handoff


def agent(sessions: sessionmaker[Session], agent_id: int) -> Agent | None:
    """The logged-in agent, marked as seen now (the queue shows who is online)."""
    with sessions.begin() as session:
        agent = session.get(Agent, agent_id)
        if agent is not None:
            agent.last_seen_at = now()
        return agent


def log_in(sessions: sessionmaker[Session], username: str, password: str) -> accounts.LoginResult:
    """Check the password (with the lock-out rules of accounts.py)."""
    with sessions.begin() as session:
        return accounts.log_in(session, username=username, password=password)


def conversation(sessions: sessionmaker[Session], handoff_id: int) -> dict[str, Any]:
    """Everything the conversation page shows about one handoff."""
    with sessions() as session:
        item = session.get(Handoff, handoff_id)
        if item is None:
            raise HTTPException(404, "no such handoff")
        return {
            "handoff": item,
            "reason": views.reason_label(item.reason),
            "requested_at": views.local_time(item.requested_at),
            "agent_name": item.agent.display_name if item.agent else None,
            "channel": views.channel_label(item.conversation.channel),
            "card": views.customer_card(session, item),
            "ratings": reporting.recent_ratings(session, item),
            "transcript": views.transcript(session, item),
            "notes": [(n.agent.display_name, n.text) for n in item.notes],
            "canned": views.canned_replies(item.conversation.language),
            "colleagues": [
                (a.id, a.display_name)
                for a in session.scalars(select(Agent).order_by(Agent.display_name))
                if a.id != item.agent_id
            ],
        }


def claim(sessions: sessionmaker[Session], handoff_id: int, agent_id: int) -> bool:
    """Take the handoff; False when a colleague was quicker."""
    with sessions.begin() as session:
        return handoff.claim(session, handoff_id=handoff_id, agent=session.get_one(Agent, agent_id))


def own_open_handoff(sessions: sessionmaker[Session], handoff_id: int, agent_id: int) -> str:
    """The sender of a handoff this agent handles now; 409 otherwise."""
    with sessions() as session:
        item = session.get(Handoff, handoff_id)
        if item is None or item.status != "claimed" or item.agent_id != agent_id:
            raise HTTPException(409, "claim the conversation before replying")
        return item.conversation.sender_id


def note(sessions: sessionmaker[Session], handoff_id: int, agent_id: int, text: str) -> None:
    """Add an internal note to the handoff."""
    with sessions.begin() as session:
        item = session.get(Handoff, handoff_id)
        if item is None or not text:
            raise HTTPException(404 if item is None else 400, "no such handoff or empty note")
        handoff.add_note(session, handoff=item, agent=session.get_one(Agent, agent_id), text=text)


def transfer(sessions: sessionmaker[Session], handoff_id: int, agent_id: int, to: int) -> None:
    """Pass the conversation to a colleague (only its current agent may)."""
    with sessions.begin() as session:
        item, colleague = session.get(Handoff, handoff_id), session.get(Agent, to)
        if item is None or colleague is None:
            raise HTTPException(404, "no such handoff or colleague")
        me = session.get_one(Agent, agent_id)
        if not handoff.transfer(session, handoff=item, from_agent=me, to_agent=colleague):
            raise HTTPException(409, "only the agent handling the conversation can pass it on")


def close(sessions: sessionmaker[Session], handoff_id: int, agent_id: int) -> str:
    """Close the handoff (only its current agent may); returns the sender."""
    with sessions.begin() as session:
        item = session.get(Handoff, handoff_id)
        if item is None or item.status != "claimed" or item.agent_id != agent_id:
            raise HTTPException(409, "only the agent handling the conversation can close it")
        handoff.close(session, handoff=item)
        return item.conversation.sender_id
