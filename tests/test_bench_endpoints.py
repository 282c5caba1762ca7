"""What the bench sends to the gateway, bare Rasa and the channel webhooks; what counts as ok."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from twilio.request_validator import RequestValidator

from bot.bench.channels import TelegramEndpoint, TwilioEndpoint
from bot.bench.endpoints import RestEndpoint, apology_texts, webhook_url
from bot.bench.settings import BenchSettings, split_urls

PROJECT = Path(__file__).resolve().parent.parent
APOLOGY = "Entschuldige, technisches Problem."


def rest(via_gateway: bool, urls: list[str] | None = None) -> RestEndpoint:
    return RestEndpoint(
        httpx.AsyncClient(),
        urls or ["http://gw:8000"],
        name="x",
        via_gateway=via_gateway,
        apologies=frozenset({APOLOGY}),
    )


def test_gateway_gets_a_website_message_and_rasa_what_the_gateway_forwards() -> None:
    assert rest(True).body("c1", "Hallo", "de") == {
        "sender": "c1",
        "message": "Hallo",
        "metadata": {"language": "de"},
    }
    assert rest(False).body("c1", "hello", "en") == {
        "sender": "rest:c1",
        "message": "hello",
        "input_channel": "rest",
        "metadata": {"language": "en"},
    }


def test_base_urls_get_the_rest_path_and_a_conversation_sticks_to_one_url() -> None:
    assert webhook_url("http://h:5005/") == "http://h:5005/webhooks/rest/webhook"
    assert webhook_url("http://h/rasa/webhooks/rest/webhook") == (
        "http://h/rasa/webhooks/rest/webhook"
    )
    endpoint = rest(False, ["http://a", "http://b"])
    assert {endpoint.url_for(f"s{i}") for i in range(20)} == {
        "http://a/webhooks/rest/webhook",
        "http://b/webhooks/rest/webhook",
    }
    assert endpoint.url_for("s1") == endpoint.url_for("s1")
    assert split_urls(" http://a/, ,http://b") == ["http://a", "http://b"]


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, [{"recipient_id": "c", "text": "Hi"}], "ok"),
        (200, [{"recipient_id": "c", "image": "x.png"}], "ok"),
        (200, [], "empty"),
        (200, [{"recipient_id": "c", "text": APOLOGY}], "apology"),
        (200, {"error": "x"}, "http_error"),
        (503, [{"text": "Hi"}], "http_error"),
    ],
)
def test_only_a_real_reply_is_ok(status: int, body: object, outcome: str) -> None:
    assert rest(True).classify(httpx.Response(status, json=body)) == outcome


async def test_the_gateways_server_timing_comes_back_with_the_answer() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        timing = {"Server-Timing": "assistant;dur=61.5, total;dur=70"}
        return httpx.Response(200, json=[{"text": "Hi"}], headers=timing)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        endpoint = RestEndpoint(http, ["http://gw"], name="gateway", via_gateway=True)
        answer = await endpoint.send("c1", "Hallo", "de")
    assert (answer.outcome, answer.timing) == ("ok", {"assistant": 61.5, "total": 70.0})


def test_the_gateways_apology_is_read_from_the_domain() -> None:
    texts = apology_texts(PROJECT / "domain")
    assert len(texts) == 2
    assert any(text.startswith("Sorry") for text in texts)


def test_telegram_updates_keep_one_chat_per_conversation_and_new_update_ids() -> None:
    endpoint = TelegramEndpoint(httpx.AsyncClient(), "http://gw", secret="s")
    first, second = endpoint.update("a", "Hallo", "de"), endpoint.update("a", "Danke", "de")
    other = endpoint.update("b", "Hi", "en")
    assert first["message"]["chat"]["id"] == second["message"]["chat"]["id"]
    assert other["message"]["chat"]["id"] != first["message"]["chat"]["id"]
    assert first["update_id"] != second["update_id"]
    assert other["message"]["from"]["language_code"] == "en"


async def test_twilio_webhooks_are_signed_for_the_public_url() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="<Response/>")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        endpoint = TwilioEndpoint(
            http,
            "http://127.0.0.1:1234",
            account_sid="AC1",
            auth_token="token",
            shop_number="whatsapp:+1415",
            public_base_url="https://shop.example",
        )
        answer = await endpoint.send("conv", "Hallo", "de")
    assert answer.outcome == "ok"
    form = dict(httpx.QueryParams(seen[0].content.decode()))
    signature = seen[0].headers["X-Twilio-Signature"]
    validator = RequestValidator("token")
    assert validator.validate("https://shop.example/webhooks/twilio/webhook", form, signature)
    assert form["From"].startswith("whatsapp:+49") and form["Body"] == "Hallo"


def test_settings_need_both_urls_or_neither(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_GATEWAY_URL", "http://gw")
    with pytest.raises(ValidationError, match="BENCH_RASA_URL"):
        BenchSettings()
    monkeypatch.setenv("BENCH_RASA_URL", "http://r1,http://r2")
    monkeypatch.setenv("BENCH_SATURATION_LEVELS", "1, 10,50")
    monkeypatch.setenv("BENCH_PIDS", "rasa=1,rasa=2,gateway=3")
    settings = BenchSettings()
    assert settings.external and settings.levels() == [1, 10, 50]
    assert settings.pid_map() == {"rasa": [1, 2], "gateway": [3]}
    monkeypatch.setenv("BENCH_SATURATION_LEVELS", "1,many")
    with pytest.raises(ValidationError, match="SATURATION_LEVELS"):
        BenchSettings()
