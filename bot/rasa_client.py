"""Talks to the Rasa server: its REST channel for messages, its HTTP API for status."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.messages import Outbound
from bot.rasa_auth import rasa_auth_headers

logger = logging.getLogger(__name__)


class RasaUnavailableError(Exception):
    """Rasa did not answer usefully (down, timed out, or returned an error)."""


class RasaClient:
    def __init__(self, http: httpx.AsyncClient, *, base_url: str, token: str) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._token = token

    async def send(
        self, *, sender_id: str, text: str, input_channel: str, metadata: dict[str, Any]
    ) -> list[Outbound]:
        """Forward one customer message and return the assistant's replies."""
        body = {
            "sender": sender_id,
            "message": text,
            "input_channel": input_channel,
            "metadata": metadata,
        }
        try:
            response = await self._http.post(f"{self._base_url}/webhooks/rest/webhook", json=body)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailableError(f"{type(error).__name__}: {error}") from error
        if not isinstance(data, list):
            raise RasaUnavailableError(f"unexpected response shape: {type(data).__name__}")
        return [Outbound.from_rasa(item) for item in data if isinstance(item, dict)]

    async def status(self) -> dict[str, Any]:
        """Rasa's /status (which model is loaded); needs a JWT signed with the API token."""
        response = await self._http.get(
            f"{self._base_url}/status", headers=rasa_auth_headers(self._token), timeout=5.0
        )
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data
