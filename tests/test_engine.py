"""SQLite connections get the settings the message log's durability rests on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from bot.db.engine import make_engine

SQLITE_SYNCHRONOUS_FULL = 2


def test_sqlite_connections_are_durable_and_shared(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'bot.sqlite'}")
    try:
        with engine.connect() as connection:
            settings = [
                connection.execute(text(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            ]
    finally:
        engine.dispose()
    assert settings == ["wal", SQLITE_SYNCHRONOUS_FULL, 1, 30000]
