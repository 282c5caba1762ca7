"""The action server's database sessions, created on first use from DATABASE_URL."""

from __future__ import annotations

from functools import cache

from sqlalchemy.orm import Session, sessionmaker

from bot.db.engine import make_engine, make_session_factory
from bot.settings import DatabaseSettings


@cache
def session_factory() -> sessionmaker[Session]:
    """One engine per action-server process, built lazily (never at import)."""
    return make_session_factory(make_engine(DatabaseSettings().effective_database_url))
