"""`python -m bot report`: the figures as a table or CSV; the demo account may open reports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.db.orm import Agent
from bot.demo import seed as demo_seed
from tests.report_data import XSS, seed, sqlite_tracker_store


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> pytest.MonkeyPatch:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RASA_TRACKER_STORE_URL", sqlite_tracker_store(tmp_path))
    monkeypatch.setenv("TIME_ZONE", "Europe/Berlin")
    return monkeypatch


@pytest.fixture
def fortnight(sessions: sessionmaker[Session], environment: pytest.MonkeyPatch) -> None:
    with sessions.begin() as session:
        seed(session)


def test_the_report_as_a_table(fortnight: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--from", "2026-11-02", "--to", "2026-11-15"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Service report 2026-11-02 to 2026-11-15 (Europe/Berlin)"

    def row(start: str) -> list[str]:
        return next(line.split() for line in lines if line.strip().startswith(start))

    assert row("CSAT (share")[4:6] == ["70", "%"]
    assert row("NPS (promoters")[4] == "+30"
    assert row("Handoff rate")[2:4] == ["40", "%"]
    assert row("Median wait")[5:7] == ["10", "min"]
    assert row("Fallback rate")[2:4] == ["10", "%"]
    assert row("2026-W46")[1:7] == ["40", "%", "5", "−40", "5", "5.5"]
    assert any(XSS in line for line in lines)


def test_the_report_as_csv(fortnight: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--from", "2026-11-02", "--to", "2026-11-15", "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    total = next(row for row in rows if row and row[0] == "total")
    assert total[:5] == ["total", "all", "2026-11-02", "2026-11-15", "70.0"]


def test_a_reversed_range_is_refused(
    fortnight: None, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    assert main(["report", "--from", "2026-11-15", "--to", "2026-11-01"]) == 2
    assert capsys.readouterr().out == ""
    assert "must not be after" in caplog.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_demo_account_is_an_admin(
    environment: pytest.MonkeyPatch, sessions: sessionmaker[Session]
) -> None:
    environment.setenv("DEMO_AGENT_PASSWORD", "demo-agent-password")
    assert main(["db", "prepare"]) == 0
    with sessions() as session:
        demo = session.scalars(select(Agent).where(Agent.username == "demo")).one()
    assert demo.role == "admin"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_shops_own_database_gets_neither_demo_customers_nor_the_demo_account(
    environment: pytest.MonkeyPatch, sessions: sessionmaker[Session]
) -> None:
    environment.setenv("LOAD_DEMO_DATA", "false")
    assert main(["db", "prepare"]) == 0
    with sessions() as session:
        assert session.scalars(select(Agent)).all() == []
        assert demo_seed.is_empty(session)
