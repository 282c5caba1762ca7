"""Telegram, WhatsApp and the widget on the running stack with the trained assistant.

The real python-telegram-bot and twilio clients talk to local fake Bot API and
Twilio servers; the replies are the assistant's own.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from websockets.client import connect

from tests.e2e.conftest import REPLIES, RunningStack, run_stack
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
    row = WebDriverWait(browser, 15).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#queue tr a"))
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "console-queue.png"))
    row.click()
    browser.find_element(By.XPATH, "//button[text()='Übernehmen']").click()
    assert "Meine Lieferung ist beschädigt" in browser.page_source
    browser.find_element(By.ID, "reply").send_keys(
        "Hallo, hier ist das Service-Team. Das tut mir leid!"
    )
    browser.find_element(By.XPATH, "//button[text()='Senden']").click()
    wait_until(lambda: len(fake.sent(chat)) >= 2)
    assert fake.sent(chat)[1]["text"] == "Hallo, hier ist das Service-Team. Das tut mir leid!"
    browser.save_screenshot(str(SCREENSHOTS / "console-conversation.png"))

    browser.find_element(By.XPATH, "//button[starts-with(text(), 'Abschließen')]").click()
    wait_until(lambda: len(fake.sent(chat)) >= 3)
    assert fake.sent(chat)[2]["text"] == REPLIES.text("utter_handoff_closed", language="de")
    channels.telegram_update(text_update(32, chat, "Wann habt ihr geöffnet?"))
    wait_until(lambda: len(fake.sent(chat)) >= 4)
    assert fake.sent(chat)[3]["text"] == REPLIES.text("utter_faq/store_hours", language="de")
