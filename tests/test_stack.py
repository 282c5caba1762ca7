"""How `make run` wires the three processes: loopback, API token, tracker store."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.stack import StackSettings, process_specs

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "RASA_TRACKER_STORE_URL", "RASA_TOKEN", "DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_rasa_and_actions_listen_on_loopback_and_rasa_api_needs_the_token() -> None:
    specs = {
        s.name: s for s in process_specs(StackSettings(), PROJECT, PROJECT / "m.tar.gz", "-tok")
    }
    rasa = specs["rasa"].argv
    assert rasa[rasa.index("--interface") + 1] == "127.0.0.1"
    assert "--auth-token=-tok" in rasa
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
