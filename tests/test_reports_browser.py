"""The reports page in a real headless Chromium: an admin logs in and sees the charts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy.orm import Session, sessionmaker

from bot.app import create_app
from bot.console import accounts
from tests.fakes.rasa import serve
from tests.gateway_client import make_settings
from tests.report_data import XSS, seed, sqlite_tracker_store

PASSWORD = "reports-admin-password"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "reports/screenshots"))


@pytest.fixture
def console_url(
    sessions: sessionmaker[Session],
    database_url: str,
    rasa_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[str]:
    with sessions.begin() as session:
        seed(session)
        accounts.create_agent(
            session, username="ada", password=PASSWORD, display_name="Ada", role="admin"
        )
    monkeypatch.setenv("RASA_TRACKER_STORE_URL", sqlite_tracker_store(tmp_path))
    monkeypatch.setenv("TIME_ZONE", "Europe/Berlin")
    with serve(create_app(make_settings(database_url, rasa_url))) as url:
        yield url + "/console"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_admin_sees_the_report_charts(browser: WebDriver, console_url: str) -> None:
    browser.get(console_url)
    browser.find_element(By.NAME, "username").send_keys("ada")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.LINK_TEXT, "Berichte")))
    browser.find_element(By.LINK_TEXT, "Berichte").click()
    # Typing into a date field depends on the browser's locale; set the values directly.
    browser.execute_script(
        "document.querySelector('input[name=from]').value = '2026-11-02';"
        "document.querySelector('input[name=to]').value = '2026-11-15';"
    )
    browser.find_element(By.XPATH, "//button[text()='Anzeigen']").click()
    WebDriverWait(browser, 10).until(ec.url_contains("from=2026-11-02"))

    charts = browser.find_elements(By.CSS_SELECTOR, "svg.line-chart")
    assert len(charts) == 5 and all(c.size["width"] > 200 for c in charts)
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.bar-chart")) == 6
    assert browser.find_elements(By.CSS_SELECTOR, "svg.line-chart polyline")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.line-chart circle")) >= 10
    bars = browser.find_elements(By.CSS_SELECTOR, "svg.bar-chart rect.bar")
    assert any(float(b.get_attribute("width") or 0) > 0 for b in bars)
    assert browser.find_element(By.ID, "tile-csat").find_element(By.TAG_NAME, "strong").text == (
        "70 %"
    )
    comments = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "td.comment")]
    assert comments[0] == XSS  # shown as text, never run
    assert browser.execute_script("return document.querySelectorAll('main script').length") == 0

    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(int(height) + 120, 8000))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOTS / "report.png"))
