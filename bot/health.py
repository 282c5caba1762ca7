"""Readiness of the pieces a customer's message passes through."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.rasa_client import RasaClient


@dataclass(frozen=True)
class Component:
    ready: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"ready": self.ready, "detail": self.detail}


def gateway_ready(response: httpx.Response) -> bool:
    """Whether a /health answer is this gateway's, saying ready. Any server on the port
    answers 200 to /health (the action server does); a stack that took that for its gateway
    announced itself ready while every customer got an error."""
    if response.status_code != 200:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    rasa = body.get("rasa") if isinstance(body, dict) else None
    return isinstance(rasa, dict) and rasa.get("ready") is True and body.get("status") == "ok"


async def rasa_health(rasa: RasaClient) -> Component:
    """Ready once Rasa answers /status with a loaded model."""
    try:
        status = await rasa.status()
    except (httpx.HTTPError, ValueError) as error:
        return Component(False, f"Rasa server not reachable: {type(error).__name__}")
    model = status.get("model_file")
    if not model:
        return Component(False, "Rasa is up but has no model loaded")
    return Component(True, f"model {model} loaded")


async def action_server_health(http: httpx.AsyncClient, base_url: str) -> Component:
    """Ready when the action server's /health says ok."""
    try:
        response = await http.get(f"{base_url.rstrip('/')}/health", timeout=5.0)
        response.raise_for_status()
        ok = response.json().get("status") == "ok"
    except (httpx.HTTPError, ValueError) as error:
        return Component(False, f"action server not reachable: {type(error).__name__}")
    return Component(ok, "running" if ok else f"unexpected answer: {response.text[:100]}")


async def database_health(sessions: sessionmaker[Session]) -> Component:
    """Ready when a trivial query succeeds."""

    def ping() -> None:
        with sessions() as session:
            session.execute(text("SELECT 1"))

    try:
        await asyncio.to_thread(ping)
    except (SQLAlchemyError, OSError) as error:
        return Component(False, f"database not reachable: {type(error).__name__}")
    return Component(True, "reachable")


async def assistant_ready(
    rasa: RasaClient, http: httpx.AsyncClient, action_server_url: str
) -> bool:
    """True when Rasa has a model and the action server runs: a message can be answered."""
    rasa_ready, actions_ready = await asyncio.gather(
        rasa_health(rasa), action_server_health(http, action_server_url)
    )
    return rasa_ready.ready and actions_ready.ready
