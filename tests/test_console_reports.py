"""The reports page and CSV in the console: admins only, known figures, escaped comments."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import handoff
from bot.console import accounts
from bot.db.orm import Conversation
from tests.gateway_client import gateway, make_settings
from tests.report_data import FORMULA, XSS, seed, sqlite_tracker_store
from tests.test_console import PASSWORD, log_in

RANGE = "from=2026-11-02&to=2026-11-15"
ESCAPED_XSS = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def staff(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The fortnight's data, an admin (ada) and an agent (mia)."""
    with sessions.begin() as session:
        seed(session)
        accounts.create_agent(
            session, username="ada", password=PASSWORD, display_name="Ada", role="admin"
        )
        accounts.create_agent(session, username="mia", password=PASSWORD, display_name="Mia")
    return sessions


@pytest.fixture
def tracker_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = sqlite_tracker_store(tmp_path)
    monkeypatch.setenv("RASA_TRACKER_STORE_URL", url)
    monkeypatch.setenv("TIME_ZONE", "Europe/Berlin")
    return url


@pytest.fixture
async def console(
    staff: sessionmaker[Session], tracker_store: str, database_url: str, rasa_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway(make_settings(database_url, rasa_url)) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "status"), [(f"/console/reports?{RANGE}", 303), (f"/console/reports.csv?{RANGE}", 401)]
)
async def test_reports_need_a_login(console: httpx.AsyncClient, path: str, status: int) -> None:
    response = await console.get(path)
    assert response.status_code == status
    if status == 303:
        assert response.headers["location"] == "/console/login"


async def test_agents_who_are_not_admins_get_403(console: httpx.AsyncClient) -> None:
    await log_in(console, "mia")
    assert (await console.get(f"/console/reports?{RANGE}")).status_code == 403
    assert (await console.get(f"/console/reports.csv?{RANGE}")).status_code == 403
    queue = await console.get("/console")
    assert queue.status_code == 200 and "/console/reports" not in queue.text


async def test_the_admin_sees_the_known_figures_and_charts(console: httpx.AsyncClient) -> None:
    await log_in(console, "ada")
    assert 'href="/console/reports"' in (await console.get("/console")).text
    page = await console.get(f"/console/reports?{RANGE}")
    assert page.status_code == 200
    html = page.text
    for tile, value in [
        ("tile-csat", "70 %"),
        ("tile-nps", "+30"),
        ("tile-ces", "4,0"),
        ("tile-containment", "60 %"),
        ("tile-handoff", "40 %"),
        ("tile-wait", "10 min"),
        ("tile-fallback", "10 %"),
    ]:
        shown = re.search(rf'id="{tile}"><span>[^<]*</span><strong>([^<]*)</strong>', html)
        assert shown is not None and shown.group(1) == value, tile
    assert "10 Bewertungen, 13 gefragt (77 %)" in html
    assert html.count('<svg class="line-chart"') == 5
    assert html.count('<svg class="bar-chart"') == 6
    assert "<polyline" in html and "<circle" in html
    assert 'value="2026-11-02"' in html and 'href="/console/reports.csv?from=2026-11-02' in html
    assert "<td>faq/shipping_costs</td>" in html


async def test_comments_are_escaped_on_the_page(console: httpx.AsyncClient) -> None:
    await log_in(console, "ada")
    html = (await console.get(f"/console/reports?{RANGE}")).text
    assert ESCAPED_XSS in html and XSS not in html
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;klick&#34;)" in html


async def test_the_csv_has_weeks_totals_and_quoted_comments(console: httpx.AsyncClient) -> None:
    await log_in(console, "ada")
    response = await console.get(f"/console/reports.csv?{RANGE}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        'filename="nordlicht-report-2026-11-02-2026-11-15.csv"'
        in (response.headers["content-disposition"])
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    header = rows[0]
    figures = [dict(zip(header, row, strict=True)) for row in rows[1 : rows.index([])]]
    assert [(r["scope"], r["group"]) for r in figures if r["scope"] in ("week", "total")] == [
        ("week", "2026-W45"),
        ("week", "2026-W46"),
        ("total", "all"),
    ]
    total = figures[-1]
    assert (total["csat_percent"], total["nps"], total["ces"]) == ("70.0", "30.0", "4.00")
    assert (total["handoff_rate_percent"], total["median_wait_minutes"]) == ("40.0", "10.0")
    assert total["fallback_rate_percent"] == "10.0"
    comments = [row[-1] for row in rows[rows.index([]) + 2 :]]
    assert comments[0] == XSS and comments[-1] == "'" + FORMULA


async def test_a_bad_range_is_explained(console: httpx.AsyncClient) -> None:
    await log_in(console, "ada")
    page = await console.get("/console/reports?from=2026-11-15&to=2026-11-01")
    assert page.status_code == 400 and "gültigen Zeitraum" in page.text
    assert (await console.get("/console/reports.csv?from=gestern")).status_code == 400


async def test_without_a_range_the_last_twelve_weeks_are_shown(
    console: httpx.AsyncClient,
) -> None:
    await log_in(console, "ada")
    page = await console.get("/console/reports")
    assert page.status_code == 200
    assert page.text.count('<tr><th scope="row">20') == 12


async def test_without_a_tracker_store_the_rest_still_works(
    console: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RASA_TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'none.sqlite'}")
    await log_in(console, "ada")
    html = (await console.get(f"/console/reports?{RANGE}")).text
    assert "Fallback-Quote und häufigste Anliegen sind nicht verfügbar" in html
    assert "no tracker store file" in html and "<strong>70 %</strong>" in html


async def test_the_customer_card_shows_recent_ratings_escaped(
    console: httpx.AsyncClient, staff: sessionmaker[Session]
) -> None:
    with staff.begin() as session:
        conversation = session.scalars(
            select(Conversation).where(Conversation.sender_id == "web:abc")
        ).one()
        item = handoff.request(
            session, conversation=conversation, reason="asked_for_person", summary={}
        )
        handoff_id = item.id
    await log_in(console, "mia")
    html = (await console.get(f"/console/conversations/{handoff_id}")).text
    card = html.split("Letzte Bewertungen")[1]
    assert "CSAT 1/5" in card and "13.11.2026" in card and ESCAPED_XSS in card
    assert card.count('class="rating"') == 3 and XSS not in html
