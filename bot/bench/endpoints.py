"""Where a benchmark message goes, and what counts as an answer.

The gateway gets exactly what a website sends to its REST channel. Bare Rasa gets
what the gateway would forward (sender `rest:<id>`, `input_channel`, the
language as metadata), so the two paths do the same assistant work and differ
only by the gateway.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

from bot import server_timing
from bot.responses import DomainResponses

Outcome = Literal["ok", "http_error", "timeout", "transport_error", "empty", "apology"]
ERROR_OUTCOMES: tuple[Outcome, ...] = (
    "http_error",
    "timeout",
    "transport_error",
    "empty",
    "apology",
)
REST_PATH = "/webhooks/rest/webhook"
APOLOGY_RESPONSE = "utter_service_unavailable"


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    status: int | None = None
    timing: dict[str, float] = field(default_factory=dict)
    """The gateway's Server-Timing parts in ms (bare Rasa sends none)."""


class Endpoint(Protocol):
    """Sends one message of a conversation and says how it went (timing is the driver's)."""

    name: str

    async def send(self, sender: str, text: str, language: str) -> Answer: ...


def webhook_url(base: str) -> str:
    """A base URL gets the REST channel's path; a full webhook URL is kept."""
    base = base.rstrip("/")
    return base if base.endswith("/webhook") else base + REST_PATH


def apology_texts(domain: Path) -> frozenset[str]:
    """The gateway's apology in every language: a 200 that is really a failure."""
    replies = DomainResponses.from_domain(domain)
    if not replies.has(APOLOGY_RESPONSE):
        return frozenset()
    return frozenset(replies.text(APOLOGY_RESPONSE, language=lang) for lang in ("de", "en"))


class RestEndpoint:
    """The REST channel of the gateway (`via_gateway`) or of Rasa itself."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        urls: list[str],
        *,
        name: str,
        via_gateway: bool,
        token: str | None = None,
        apologies: frozenset[str] = frozenset(),
    ) -> None:
        if not urls:
            raise ValueError(f"no URL for {name}")
        self.name = name
        self._http = http
        self._urls = [webhook_url(url) for url in urls]
        self._via_gateway = via_gateway
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._apologies = apologies

    def url_for(self, sender: str) -> str:
        """One URL per conversation: Rasa instances behind a proxy must not share a tracker turn."""
        return self._urls[zlib.crc32(sender.encode()) % len(self._urls)]

    def body(self, sender: str, text: str, language: str) -> dict[str, Any]:
        """The JSON a website sends the gateway, or the one the gateway sends Rasa."""
        if self._via_gateway:
            return {"sender": sender, "message": text, "metadata": {"language": language}}
        return {
            "sender": f"rest:{sender}",
            "message": text,
            "input_channel": "rest",
            "metadata": {"language": language},
        }

    async def send(self, sender: str, text: str, language: str) -> Answer:
        try:
            response = await self._http.post(
                self.url_for(sender), json=self.body(sender, text, language), headers=self._headers
            )
        except httpx.TimeoutException:
            return Answer("timeout")
        except httpx.HTTPError:
            return Answer("transport_error")
        timing = server_timing.parse(response.headers.get(server_timing.HEADER, ""))
        return Answer(self.classify(response), response.status_code, timing)

    def classify(self, response: httpx.Response) -> Outcome:
        """ok only for a 200 with at least one reply that is not the gateway's apology."""
        if response.status_code != 200:
            return "http_error"
        try:
            replies = response.json()
        except ValueError:
            return "http_error"
        if not isinstance(replies, list):
            return "http_error"
        if not replies:
            return "empty"
        if any(isinstance(r, dict) and r.get("text") in self._apologies for r in replies):
            return "apology"
        return "ok"
