"""Alembic environment: runs migrations online against the configured URL."""

from __future__ import annotations

from alembic import context

from bot.db.engine import make_engine
from bot.db.orm import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
if url is None:
    raise RuntimeError("sqlalchemy.url is not set; use bot.db.migrate.alembic_config()")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave alone tables that are not ours (Rasa's tracker store may share the database)."""
    return type_ != "table" or name in Base.metadata.tables


engine = make_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
