"""Reads customer messages from Rasa's SQL tracker store: what Rasa understood, and when.

The store belongs to the Rasa server; reports only read its `events` table. When
the store cannot be read, the two figures that need it are reported as
unavailable (with the reason) and the rest of the report still works.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    create_engine,
    select,
)
from sqlalchemy import inspect as inspect_schema
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.nlu_scores import RETRIEVAL_INTENTS, full_intent

CONNECT_TIMEOUT_SECONDS = 5

_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("data", Text),
)
"""The columns reports need of Rasa 3.6's SQLTrackerStore table."""


class TrackerUnavailableError(Exception):
    """The tracker store cannot be read; the message says why, without credentials."""


@dataclass(frozen=True)
class UserEvent:
    """One customer message as Rasa saw it: who, when (UTC) and the intent it recognised."""

    sender_id: str
    at: dt.datetime
    intent: str | None


def reporting_url(rasa_url: str) -> URL:
    """The store's URL for this environment: Rasa's psycopg2 URL read through psycopg 3."""
    url = make_url(rasa_url)
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    return url


def user_events(url: URL, *, start: dt.datetime, end: dt.datetime) -> list[UserEvent]:
    """The customer messages Rasa stored in [start, end); raises TrackerUnavailableError."""
    try:
        engine = _engine(url)
    except (SQLAlchemyError, ImportError) as error:
        raise TrackerUnavailableError(f"{_name(url)} cannot be opened: {error}") from error
    try:
        with engine.connect() as connection:
            if not inspect_schema(connection).has_table("events"):
                raise TrackerUnavailableError(f"{_name(url)} has no events table")
            # The event's JSON is read only for FAQ and Club questions, to name their topic.
            topic_data = case(
                (_EVENTS.c.intent_name.in_(RETRIEVAL_INTENTS), _EVENTS.c.data), else_=None
            )
            query = select(
                _EVENTS.c.sender_id, _EVENTS.c.timestamp, _EVENTS.c.intent_name, topic_data
            ).where(
                _EVENTS.c.type_name == "user",
                _EVENTS.c.timestamp >= start.timestamp(),
                _EVENTS.c.timestamp < end.timestamp(),
            )
            rows = connection.execute(query).tuples().all()
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        raise TrackerUnavailableError(f"{_name(url)} cannot be read: {reason}") from error
    finally:
        engine.dispose()
    return [
        UserEvent(sender, dt.datetime.fromtimestamp(stamp, dt.timezone.utc), _topic(intent, data))
        for sender, stamp, intent, data in rows
    ]


def _topic(intent: str | None, data: str | None) -> str | None:
    """`faq/shipping_costs` rather than `faq`, when Rasa stored which answer it chose."""
    if intent is None or data is None:
        return intent
    try:
        parse = json.loads(data).get("parse_data") or {}
    except (ValueError, AttributeError):
        return intent
    return full_intent(parse) if isinstance(parse, dict) else intent


def _engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        # Never create an empty store where Rasa has not written one yet.
        if not url.database or url.database == ":memory:" or not Path(url.database).is_file():
            raise TrackerUnavailableError(f"no tracker store file at {url.database}")
        return create_engine(url)
    if url.get_backend_name() == "postgresql":
        return create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    return create_engine(url)


def _name(url: URL) -> str:
    return f"the tracker store {url.render_as_string(hide_password=True)}"
