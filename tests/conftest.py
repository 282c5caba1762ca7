"""Shared fixtures: migrated databases on SQLite and (where reachable) PostgreSQL, Redis."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import httpx
import pytest
import redis
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from actions import database
from bot.db.engine import make_engine, make_session_factory
from bot.db.migrate import upgrade
from bot.demo import seed
from tests.browser import headless_chromium
from tests.fakes.rasa import FakeRasa, serve
from tests.fakes.telegram import FakeTelegram
from tests.gateway_client import gateway, make_settings
from tests.own_redis import OwnRedis

PROJECT = Path(__file__).resolve().parent.parent

DEMO_DAY = dt.date(2026, 11, 23)
"""The reset day for which shared/demo-company.md prints its dates."""


DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
"""The machines' local PostgreSQL (trust auth); a laptop without one skips these tests."""


@cache
def _postgres_unusable(url: str) -> str | None:
    """Why the test PostgreSQL cannot be used, asked once so a laptop without one skips fast.
    A URL that is no database URL, or names a driver that is not installed, is the user's
    mistake and fails instead."""
    try:
        probe = create_engine(url, connect_args={"connect_timeout": 5})
    except (ArgumentError, ImportError) as error:
        pytest.fail(f"TEST_DATABASE_URL={url!r} cannot be used: {error}", pytrace=False)
    try:
        with probe.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        first_line = str(error.orig).strip().splitlines()[0]
        return f"PostgreSQL at {make_url(url).render_as_string()} cannot be used: {first_line}"
    finally:
        probe.dispose()
    return None


def _postgres_url() -> str:
    configured = os.environ.get("TEST_DATABASE_URL", "").strip()
    url = configured or DEFAULT_TEST_DATABASE_URL
    reason = _postgres_unusable(url)
    if reason:
        hint = "" if configured else " (TEST_DATABASE_URL is unset: this is its default)"
        pytest.skip(f"{reason}{hint}; start it and `createdb test`, or set TEST_DATABASE_URL")
    return url


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections live in a fresh schema of the test PostgreSQL, dropped after."""
    base = _postgres_url()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database: a fresh SQLite file, or a fresh schema on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the newest revision."""
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def demo_sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions on a database holding the demo data as of DEMO_DAY."""
    with sessions.begin() as session:
        seed.reset(session, data=seed.read_demo_file(), today=DEMO_DAY)
    return sessions


@pytest.fixture
def fake_rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def rasa_url(fake_rasa: FakeRasa) -> Iterator[str]:
    with serve(fake_rasa.app()) as url:
        yield url


@pytest.fixture
async def http(
    engine: Engine, database_url: str, rasa_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway on a migrated empty database, talking to the fake Rasa."""
    async with gateway(make_settings(database_url, rasa_url)) as client:
        yield client


@pytest.fixture
def fake_telegram() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def telegram_url(fake_telegram: FakeTelegram) -> Iterator[str]:
    with serve(fake_telegram.app()) as url:
        yield url


@pytest.fixture
def action_database(
    monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine
) -> Iterator[None]:
    """Point the action server's lazily built engine at the test database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    database.session_factory.cache_clear()
    yield
    database.session_factory().kw["bind"].dispose()
    database.session_factory.cache_clear()


@dataclass(frozen=True)
class RedisTarget:
    url: str
    prefix: str
    """REDIS_KEY_PREFIX of this test alone, so tests running at once never share keys."""


@pytest.fixture
def redis_target() -> Iterator[RedisTarget]:
    """The test Redis (TEST_REDIS_URL, default 127.0.0.1:6379) and a key prefix for this test."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        pytest.skip(f"Redis at {url} is not reachable ({error}); several-gateway tests need it")
    prefix = f"test{uuid.uuid4().hex[:12]}"
    try:
        yield RedisTarget(url, prefix)
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    """A fresh headless Chromium per test."""
    yield from headless_chromium()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A redis-server of the test's own, for outages; skipped where none is installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed; the outage test stops and starts its own")
    server = OwnRedis(binary, tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of what trains a model (config, domain, data) with an empty models folder."""
    shutil.copy(PROJECT / "config.yml", tmp_path / "config.yml")
    for folder in ("domain", "data"):
        shutil.copytree(PROJECT / folder, tmp_path / folder)
    (tmp_path / "models").mkdir()
    return tmp_path
