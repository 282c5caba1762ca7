"""Telegram, WhatsApp and the widget on the running stack with the trained assistant.

The real python-telegram-bot and twilio clients talk to local fake Bot API and
Twilio servers; the replies are the assistant's own.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from websockets.client import connect

from tests.browser import headless_chromium
from tests.e2e.conftest import PROJECT, REPLIES, RunningStack, run_stack
from tests.fakes.rasa import serve
from tests.fakes.telegram import FakeTelegram, button_tap, contact_update, text_update
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, SHOP_NUMBER, FakeTwilio, incoming, signed

pytestmark = pytest.mark.e2e

TELEGRAM_SECRET = "e2e-telegram-secret"
PUBLIC = "https://shop.example"
ANNA_TELEGRAM = 700000001
ANNA_WHATSAPP = "whatsapp:+4915112345678"
AGENT_PASSWORD = "demo-agent-password"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "reports/screenshots"))


@dataclass
class Channels:
    stack: RunningStack
    telegram: FakeTelegram
    twilio: FakeTwilio

    def telegram_update(self, update: dict[str, Any]) -> None:
        response = httpx.post(
            f"{self.stack.base_url}/webhooks/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        )
        assert response.status_code == 200, response.text

    def whatsapp(self, form: dict[str, str]) -> None:
        path = "/webhooks/twilio/webhook"
        response = httpx.post(
            f"{self.stack.base_url}{path}", data=form, headers=signed(f"{PUBLIC}{path}", form)
        )
        assert response.status_code == 200, response.text


def wait_until(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def channels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Channels]:
    telegram, twilio = FakeTelegram(), FakeTwilio()
    with serve(telegram.app()) as telegram_url, serve(twilio.app()) as twilio_url:
        data_dir = tmp_path_factory.mktemp("channels")
        env = {
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_URL": f"{telegram_url}/bot",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_WHATSAPP_FROM": SHOP_NUMBER,
            "TWILIO_API_URL": twilio_url,
            "PUBLIC_BASE_URL": PUBLIC,
            "DEMO_AGENT_PASSWORD": AGENT_PASSWORD,
        }
        url = f"sqlite:///{data_dir / 'nordlicht.sqlite'}"
        for stack in run_stack(data_dir, url, env):
            yield Channels(stack, telegram, twilio)


def test_telegram_greeting_verification_by_contact_and_balance(channels: Channels) -> None:
    fake, chat = channels.telegram, ANNA_TELEGRAM
    channels.telegram_update(text_update(1, chat, "/start"))
    wait_until(lambda: len(fake.sent(chat)) >= 1)
    assert fake.sent(chat)[0]["text"] == REPLIES.text(
        "utter_greet", language="de", customer_verified=False
    )

    channels.telegram_update(text_update(2, chat, "Wie viele Punkte habe ich?"))
    wait_until(lambda: len(fake.sent(chat)) >= 2)
    ask = fake.sent(chat)[1]
    assert ask["text"] == REPLIES.text("utter_ask_member_number", language="de")
    assert ask["reply_markup"]["keyboard"][0][0]["request_contact"] is True

    channels.telegram_update(contact_update(3, chat, "+4915112345678", chat))
    wait_until(lambda: len(fake.sent(chat)) >= 4)
    assert [m["text"] for m in fake.sent(chat)[2:4]] == [
        "Danke, Anna, du bist verifiziert.",
        "Du hast 1.250 Punkte.",
    ]


def test_telegram_button_tap(channels: Channels) -> None:
    fake, chat = channels.telegram, 700000077
    channels.telegram_update(text_update(10, chat, "Was kannst du?"))
    wait_until(lambda: len(fake.sent(chat)) >= 1)
    keyboard = fake.sent(chat)[0]["reply_markup"]["inline_keyboard"]
    payload = keyboard[0][0]["callback_data"]
    channels.telegram_update(button_tap(11, chat, payload))
    wait_until(lambda: len(fake.sent(chat)) >= 2)
    assert fake.sent(chat)[1]["text"] == REPLIES.text("utter_faq/store_hours", language="de")


def test_whatsapp_customer_is_recognised_by_number(channels: Channels) -> None:
    fake = channels.twilio
    channels.whatsapp(incoming("SM-e2e-1", ANNA_WHATSAPP, "Hallo"))
    wait_until(lambda: len(fake.to(ANNA_WHATSAPP)) >= 1)
    assert fake.to(ANNA_WHATSAPP)[0]["Body"].startswith("Hallo Anna")

    channels.whatsapp(incoming("SM-e2e-2", ANNA_WHATSAPP, "Wie viele Punkte habe ich?"))
    wait_until(lambda: len(fake.to(ANNA_WHATSAPP)) >= 2)
    assert fake.to(ANNA_WHATSAPP)[1]["Body"] == "Du hast 1.250 Punkte."


async def test_widget_conversation(channels: Channels) -> None:
    url = channels.stack.base_url.replace("http", "ws") + "/widget/ws"
    async with connect(url) as socket:
        await socket.send(json.dumps({"type": "hello", "session": None, "language": "en-GB"}))
        assert json.loads(await socket.recv())["type"] == "welcome"
        question = {"type": "message", "id": "w1", "text": "What are your opening hours?"}
        await socket.send(json.dumps(question))
        events = [json.loads(await asyncio.wait_for(socket.recv(), 30))]
        while events[-1]["type"] != "reply":
            events.append(json.loads(await asyncio.wait_for(socket.recv(), 30)))
    assert [e["type"] for e in events] == ["ack", "typing", "reply"]
    assert events[-1]["text"] == REPLIES.text("utter_faq/store_hours", language="en")


def log_in(browser: WebDriver, console: str, username: str, password: str) -> None:
    browser.get(console)
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password, Keys.ENTER)


def queue_status(browser: WebDriver) -> str:
    # Read in one script: the live queue re-renders its rows every second.
    script = (
        "var c = document.querySelector('#queue tr td:last-child'); return c ? c.textContent : '';"
    )
    return str(browser.execute_script(script))


@pytest.fixture
def second_browser() -> Iterator[WebDriver]:
    yield from headless_chromium()


def test_two_agents_in_two_browsers_see_one_queue_and_only_one_wins_the_claim(
    channels: Channels, browser: WebDriver, second_browser: WebDriver
) -> None:
    subprocess.run(
        [sys.executable, "-m", "bot", "agent", "create", "kim", "--name", "Kim"],
        cwd=PROJECT,
        env={
            **os.environ,
            "DATABASE_URL": channels.stack.database_url,
            "AGENT_PASSWORD": "kims-password-1",
        },
        check=True,
    )
    chat = 700000077
    channels.telegram_update(text_update(60, chat, "Bitte einen Mitarbeiter"))
    wait_until(lambda: len(channels.telegram.sent(chat)) >= 1)
    console = channels.stack.base_url + "/console"
    second = second_browser
    log_in(browser, console, "demo", AGENT_PASSWORD)
    log_in(second, console, "kim", "kims-password-1")
    for agent in (browser, second):
        WebDriverWait(agent, 15).until(lambda b: queue_status(b) in ("wartet", "wartet lange!"))

    # Kim keeps the queue open in one tab and opens the conversation in another.
    queue_tab = second.current_window_handle
    second.switch_to.new_window("tab")
    page = f"{console}/conversations/{handoff_id(channels, chat)}"
    browser.get(page)
    second.get(page)
    claim = (By.XPATH, "//button[text()='Übernehmen']")
    buttons = [
        WebDriverWait(b, 15).until(ec.element_to_be_clickable(claim)) for b in (browser, second)
    ]
    for button in buttons:
        button.click()
    notice = WebDriverWait(second, 15).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]"))
    )
    assert "schon übernommen" in notice.text
    WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.ID, "reply")))

    second.switch_to.window(queue_tab)
    WebDriverWait(second, 15).until(lambda b: queue_status(b) == "bei Demo Agent")

    # Hand the conversation back, so the queue is empty for the next test.
    browser.find_element(By.XPATH, "//button[starts-with(text(), 'Abschließen')]").click()
    WebDriverWait(second, 15).until(lambda b: queue_status(b) == "")
    wait_until(lambda: not open_handoffs(channels, chat))


def clicked(browser: WebDriver, selector: str) -> bool:
    browser.find_element(By.CSS_SELECTOR, selector).click()
    return True


def open_handoffs(channels: Channels, chat: int) -> list[int]:
    rows = channels.stack.query(
        "SELECT h.id FROM handoffs h JOIN conversations c ON c.id = h.conversation_id "
        "WHERE c.sender_id = :sender AND h.status != 'closed'",
        sender=f"telegram:{chat}",
    )
    return [int(found) for (found,) in rows]


def handoff_id(channels: Channels, chat: int) -> int:
    [found] = open_handoffs(channels, chat)
    return found


def test_a_telegram_customer_reaches_a_person_in_the_console(
    channels: Channels, browser: WebDriver
) -> None:
    fake, chat = channels.telegram, 700000055
    channels.telegram_update(text_update(30, chat, "Ich möchte mit einem Menschen sprechen"))
    wait_until(lambda: len(fake.sent(chat)) >= 1)
    told = fake.sent(chat)[0]["text"]
    assert told.startswith(("Ich gebe dich an", "Unser Kundenservice ist gerade nicht besetzt"))

    channels.telegram_update(text_update(31, chat, "Meine Lieferung ist beschädigt"))
    time.sleep(1)
    assert len(fake.sent(chat)) == 1  # the assistant stays quiet while people are in charge

    console = channels.stack.base_url + "/console"
    browser.get(console)
    browser.find_element(By.NAME, "username").send_keys("demo")
    browser.find_element(By.NAME, "password").send_keys(AGENT_PASSWORD, Keys.ENTER)
    link = f"#queue a[href$='/conversations/{handoff_id(channels, chat)}']"
    WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.CSS_SELECTOR, link)))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "console-queue.png"))
    # The live queue redraws its rows; a row can go stale under the click.
    WebDriverWait(browser, 15, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda b: clicked(b, link)
    )
    browser.find_element(By.XPATH, "//button[text()='Übernehmen']").click()
    assert "Meine Lieferung ist beschädigt" in browser.page_source
    # Taking the conversation over reloads the page; the reply box comes with the new one.
    WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.ID, "reply"))).send_keys(
        "Hallo, hier ist das Service-Team. Das tut mir leid!"
    )
    browser.find_element(By.XPATH, "//button[text()='Senden']").click()
    wait_until(lambda: len(fake.sent(chat)) >= 2)
    assert fake.sent(chat)[1]["text"] == "Hallo, hier ist das Service-Team. Das tut mir leid!"
    browser.save_screenshot(str(SCREENSHOTS / "console-conversation.png"))

    browser.find_element(By.XPATH, "//button[starts-with(text(), 'Abschließen')]").click()
    wait_until(lambda: len(fake.sent(chat)) >= 4)
    closed, rating = fake.sent(chat)[2:4]
    assert closed["text"] == REPLIES.text("utter_handoff_closed", language="de")
    assert rating["text"] == REPLIES.text("utter_ask_csat_human", language="de")
    keyboard = rating["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in keyboard[0]] == ["1", "2", "3", "4", "5"]

    # The customer rates the person's help (CSAT), then how easy it was (CES), then comments.
    channels.telegram_update(button_tap(32, chat, keyboard[0][4]["callback_data"]))
    wait_until(lambda: len(fake.sent(chat)) >= 5)
    assert fake.sent(chat)[4]["text"] == REPLIES.text("utter_ask_ces", language="de")
    channels.telegram_update(text_update(33, chat, "6"))
    wait_until(lambda: len(fake.sent(chat)) >= 6)
    assert fake.sent(chat)[5]["text"] == REPLIES.text("utter_rating_thanks", language="de")
    channels.telegram_update(text_update(34, chat, "Schnelle & nette Hilfe <3"))
    wait_until(lambda: len(fake.sent(chat)) >= 7)
    assert fake.sent(chat)[6]["text"] == REPLIES.text(
        "utter_feedback_comment_stored", language="de"
    )
    ratings = channels.stack.query(
        "SELECT f.kind, f.score, f.comment, f.handled_by_human, a.username FROM feedback f "
        "JOIN agents a ON a.id = f.agent_id JOIN conversations c ON c.id = f.conversation_id "
        "WHERE c.sender_id = :sender ORDER BY f.id",
        sender=f"telegram:{chat}",
    )
    assert ratings == [
        ("csat", 5, None, True, "demo"),
        ("ces", 6, "Schnelle & nette Hilfe <3", True, "demo"),
    ]

    channels.telegram_update(text_update(35, chat, "Wann habt ihr geöffnet?"))
    wait_until(lambda: len(fake.sent(chat)) >= 8)
    assert fake.sent(chat)[7]["text"] == REPLIES.text("utter_faq/store_hours", language="de")
