"""Agent accounts: argon2 password hashes, login with a lockout after repeated failures."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.db.orm import Agent, utcnow

logger = logging.getLogger(__name__)

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


class AccountError(ValueError):
    """An account cannot be created as asked (name taken, password too short)."""


@dataclass(frozen=True)
class LoginResult:
    agent: Agent | None
    locked_until: dt.datetime | None = None


def create_agent(
    session: Session, *, username: str, password: str, display_name: str, role: str = "agent"
) -> Agent:
    """A new console account; the password is stored only as an argon2 hash."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(Agent).where(Agent.username == username)) is not None:
        raise AccountError(f"an agent called {username!r} exists already")
    agent = Agent(
        username=username,
        display_name=display_name,
        password_hash=_hasher.hash(password),
        role=role,
        failed_logins=0,
    )
    session.add(agent)
    session.flush()
    logger.info("Created %s account %r", role, username)
    return agent


def has_agents(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Agent)))


def new_password() -> str:
    """A random password for a generated account (shown once)."""
    return secrets.token_urlsafe(12)


def log_in(
    session: Session, *, username: str, password: str, now: dt.datetime | None = None
) -> LoginResult:
    """Check a login; after five failures in a row the account is locked for 15 minutes."""
    now = now or utcnow()
    agent = session.scalar(select(Agent).where(Agent.username == username))
    if agent is None:
        _hasher.hash(password)  # the same work as for a real account: no timing hint
        logger.warning("Console login for unknown account %r refused", username)
        return LoginResult(None)
    locked = as_utc(agent.locked_until) if agent.locked_until else None
    if locked is not None and locked > now:
        logger.warning("Console login for locked account %r refused", username)
        return LoginResult(None, locked)
    try:
        _hasher.verify(agent.password_hash, password)
    except (VerificationError, InvalidHashError):
        agent.failed_logins += 1
        if agent.failed_logins >= MAX_FAILED_LOGINS:
            agent.locked_until, agent.failed_logins = now + LOCKOUT, 0
            logger.warning("Console account %r locked for 15 minutes after failed logins", username)
            return LoginResult(None, agent.locked_until)
        logger.warning("Wrong password for console account %r", username)
        return LoginResult(None)
    agent.failed_logins, agent.locked_until, agent.last_seen_at = 0, None, now
    return LoginResult(agent)
