"""The widget in a real headless Chromium: open the demo shop, chat, tap a button, reload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import JSONResponse, Response

from bot.app import create_app
from tests.fakes.rasa import FakeRasa, serve
from tests.gateway_client import make_settings


@pytest.fixture
def shop_url(
    demo_sessions: sessionmaker[Session], database_url: str, rasa_url: str, fake_rasa: FakeRasa
) -> Iterator[str]:
    async def answer(body: dict[str, Any]) -> Response:
        reply: dict[str, Any] = {"recipient_id": body["sender"], "text": f"Echo: {body['message']}"}
        if body["message"] == "Hilfe":
            reply = {
                "recipient_id": body["sender"],
                "text": "Wobei? Mehr unter https://nordlicht.example/hilfe",
                "buttons": [{"title": "Versand", "payload": "/versand"}],
            }
        if body["message"] == "Danke":
            scale = [{"title": str(n), "payload": f'/rate{{"score": {n}}}'} for n in range(1, 6)]
            reply = {
                "recipient_id": body["sender"],
                "text": "Wie zufrieden warst du?",
                "buttons": [*scale, {"title": "Nein danke", "payload": "/deny"}],
            }
        return JSONResponse([reply])

    fake_rasa.handler = answer
    with serve(create_app(make_settings(database_url, rasa_url))) as url:
        yield url


def bubbles(driver: WebDriver, who: str) -> list[str]:
    return [node.text for node in driver.find_elements(By.CSS_SELECTOR, f".nlw-{who}")]


def wait_for_bubble(driver: WebDriver, who: str, text: str) -> None:
    WebDriverWait(driver, 15).until(lambda d: text in bubbles(d, who))


def open_chat(driver: WebDriver) -> None:
    launcher = WebDriverWait(driver, 10).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, ".nlw-launch"))
    )
    launcher.click()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_chat_in_the_demo_shop(browser: WebDriver, shop_url: str, fake_rasa: FakeRasa) -> None:
    browser.get(shop_url + "/")
    open_chat(browser)
    field = browser.find_element(By.CSS_SELECTOR, ".nlw-form input")
    assert browser.switch_to.active_element == field
    field.send_keys("Hallo", Keys.ENTER)
    wait_for_bubble(browser, "bot", "Echo: Hallo")

    field.send_keys("Hilfe", Keys.ENTER)
    wait_for_bubble(browser, "bot", "Wobei? Mehr unter https://nordlicht.example/hilfe")
    link = browser.find_element(By.CSS_SELECTOR, ".nlw-bot a")
    assert link.get_attribute("href") == "https://nordlicht.example/hilfe"
    browser.find_element(By.XPATH, "//div[@class='nlw-buttons']/button[text()='Versand']").click()
    wait_for_bubble(browser, "bot", "Echo: /versand")
    assert fake_rasa.requests[-1]["message"] == "/versand"

    browser.refresh()
    open_chat(browser)
    wait_for_bubble(browser, "bot", "Echo: /versand")
    assert bubbles(browser, "customer") == ["Hallo", "Hilfe", "Versand"]
    assert len(fake_rasa.requests) == 3
    assert {r["sender"] for r in fake_rasa.requests} == {fake_rasa.requests[0]["sender"]}

    log = browser.find_element(By.CSS_SELECTOR, ".nlw-log")
    assert (log.get_attribute("role"), log.get_attribute("aria-live")) == ("log", "polite")
    field = browser.find_element(By.CSS_SELECTOR, ".nlw-form input")
    field.send_keys(Keys.ESCAPE)
    assert not browser.find_element(By.CSS_SELECTOR, ".nlw-panel").is_displayed()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_satisfaction_question_is_answered_with_stars(
    browser: WebDriver, shop_url: str, fake_rasa: FakeRasa
) -> None:
    browser.get(shop_url + "/")
    open_chat(browser)
    browser.find_element(By.CSS_SELECTOR, ".nlw-form input").send_keys("Danke", Keys.ENTER)
    wait_for_bubble(browser, "bot", "Wie zufrieden warst du?")
    stars = browser.find_elements(By.CSS_SELECTOR, ".nlw-stars button")
    assert [s.get_attribute("aria-label") for s in stars] == [
        "1 Stern",
        "2 Sterne",
        "3 Sterne",
        "4 Sterne",
        "5 Sterne",
    ]
    assert [b.text for b in browser.find_elements(By.CSS_SELECTOR, ".nlw-buttons button")] == [
        "Nein danke"
    ]
    stars[3].click()
    wait_for_bubble(browser, "bot", 'Echo: /rate{"score": 4}')
    assert bubbles(browser, "customer")[-1] == "★★★★"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_widget_fits_a_360_pixel_phone(browser: WebDriver, shop_url: str) -> None:
    browser.set_window_size(360, 740)
    browser.get(shop_url + "/")
    open_chat(browser)
    panel = browser.find_element(By.CSS_SELECTOR, ".nlw-panel")
    viewport = browser.execute_script("return document.documentElement.clientWidth")
    assert panel.rect["x"] >= 0 and panel.rect["x"] + panel.rect["width"] <= viewport
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    assert overflow is False
    field = browser.find_element(By.CSS_SELECTOR, ".nlw-form input")
    field.send_keys("Hallo", Keys.ENTER)
    wait_for_bubble(browser, "bot", "Echo: Hallo")
