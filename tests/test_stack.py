"""How `make run` wires the three processes: loopback, API token, tracker and lock store."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from bot import rasa_endpoints
from bot.processes import process_specs, yield_cpu
from bot.settings import StackSettings

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "RASA_TRACKER_STORE_URL",
        "RASA_TOKEN",
        "DATA_DIR",
        "REDIS_URL",
        "REDIS_KEY_PREFIX",
        "RASA_NICE",
    ):
        monkeypatch.delenv(name, raising=False)


def test_rasa_and_actions_listen_on_loopback_and_rasa_api_needs_the_token() -> None:
    specs = {
        s.name: s for s in process_specs(StackSettings(), PROJECT, PROJECT / "m.tar.gz", "-tok")
    }
    rasa = specs["rasa"].argv
    assert rasa[rasa.index("--interface") + 1] == "127.0.0.1"
    assert rasa[rasa.index("--jwt-secret=-tok") + 1 : rasa.index("--jwt-secret=-tok") + 3] == [
        "--jwt-method",
        "HS256",
    ]
    assert "--enable-api" in rasa
    assert specs["actions"].env["SANIC_HOST"] == "127.0.0.1"
    assert specs["gateway"].env["RASA_TOKEN"] == "-tok"
    assert specs["gateway"].env["RASA_URL"] == "http://127.0.0.1:5005"
    assert specs["rasa"].env["ACTION_SERVER_URL"] == "http://127.0.0.1:5055"
    assert [s.name for s in specs.values()] == ["actions", "rasa", "gateway"]


def test_tracker_store_defaults_to_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = StackSettings(data_dir=tmp_path)
    assert settings.tracker_store_url() == f"sqlite:///{tmp_path / 'rasa-tracker.sqlite'}"
    rasa = next(s for s in process_specs(settings, PROJECT, PROJECT / "m", "t") if s.name == "rasa")
    assert rasa.env["RASA_TRACKER_STORE_DIALECT"] == "sqlite"


def test_tracker_store_follows_a_postgresql_database_url() -> None:
    settings = StackSettings(database_url="postgresql+psycopg://app:pw@db:5432/shop")
    assert settings.tracker_store_url() == "postgresql://app:pw@db:5432/shop"
    rasa = next(s for s in process_specs(settings, PROJECT, PROJECT / "m", "t") if s.name == "rasa")
    assert rasa.env["RASA_TRACKER_STORE_DIALECT"] == "postgresql"


def test_explicit_tracker_store_wins() -> None:
    settings = StackSettings(rasa_tracker_store_url="postgresql://rasa@db/rasa")
    assert settings.tracker_store_url() == "postgresql://rasa@db/rasa"


def test_with_redis_rasa_gets_a_redis_lock_store_and_its_password_from_the_environment(
    tmp_path: Path,
) -> None:
    settings = StackSettings(data_dir=tmp_path, redis_url="redis://:s3cr%40t@cache:6380/2")
    rasa = next(s for s in process_specs(settings, PROJECT, PROJECT / "m", "t") if s.name == "rasa")
    endpoints = tmp_path / "run" / "rasa-endpoints.yml"
    assert rasa.argv[rasa.argv.index("--endpoints") + 1] == str(endpoints)
    assert rasa.env[rasa_endpoints.PASSWORD_VARIABLE] == "s3cr@t"

    rasa_endpoints.write_endpoints(PROJECT, tmp_path, settings.redis_url, "nordlicht")
    written = endpoints.read_text()
    assert written.startswith((PROJECT / "endpoints.yml").read_text().rstrip())
    assert yaml.safe_load(written)["lock_store"] == {
        "type": "redis",
        "url": "cache",
        "port": 6380,
        "db": 2,
        "key_prefix": "nordlicht",
        "use_ssl": False,
        "password": "${RASA_LOCK_STORE_PASSWORD}",
    }
    assert "s3cr" not in written


def test_without_redis_rasa_keeps_the_project_endpoints_and_its_in_memory_lock_store(
    tmp_path: Path,
) -> None:
    rasa_endpoints.write_endpoints(PROJECT, tmp_path, None, "nordlicht")
    rasa = next(
        s for s in process_specs(StackSettings(), PROJECT, PROJECT / "m", "t") if s.name == "rasa"
    )
    assert rasa.argv[rasa.argv.index("--endpoints") + 1] == "endpoints.yml"
    assert rasa_endpoints.PASSWORD_VARIABLE not in rasa.env
    assert not (tmp_path / "run").exists()


def test_a_tls_redis_with_a_user_becomes_rasas_lock_store_keys() -> None:
    section = yaml.safe_load(
        rasa_endpoints.lock_store_section("rediss://app:pw@cache.internal/1", "shop1")
    )["lock_store"]
    assert section["use_ssl"] is True and section["username"] == "app"
    assert (section["url"], section["port"], section["db"]) == ("cache.internal", 6379, 1)
    with pytest.raises(ValueError, match="redis:// or rediss://"):
        rasa_endpoints.lock_store_section("unix:///run/redis.sock", "shop1")


def test_only_rasa_gives_way_on_a_busy_cpu() -> None:
    specs = process_specs(StackSettings(), PROJECT, PROJECT / "m.tar.gz", "tok")
    assert {s.name: s.nice for s in specs} == {"actions": 0, "rasa": 5, "gateway": 0}


def test_a_process_that_gives_way_does_so_in_its_own_session_too() -> None:
    process = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        yield_cpu(process.pid, 5)
        assert os.getpriority(os.PRIO_PROCESS, process.pid) == 5
        autogroup = Path(f"/proc/{process.pid}/autogroup")
        if autogroup.exists():
            assert autogroup.read_text().split()[-1] == "5"
    finally:
        process.kill()
        process.wait()
