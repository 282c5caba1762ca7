"""A fake Rasa server (REST channel + /status) and action server (/health) on a real port."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.launcher import free_port

Handler = Callable[[dict[str, Any]], Awaitable[Response]]

RASA_TEST_TOKEN = "rasa-test-token-long-enough-for-hs256"


@dataclass
class FakeRasa:
    """Records every REST request; `handler` decides the answer (default: echo)."""

    token: str = RASA_TEST_TOKEN
    requests: list[dict[str, Any]] = field(default_factory=list)
    handler: Handler | None = None
    model_loaded: bool = True
    in_flight: dict[str, int] = field(default_factory=dict)
    max_in_flight: dict[str, int] = field(default_factory=dict)

    async def webhook(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        sender = body["sender"]
        self.in_flight[sender] = self.in_flight.get(sender, 0) + 1
        self.max_in_flight[sender] = max(self.max_in_flight.get(sender, 0), self.in_flight[sender])
        try:
            if self.handler is not None:
                return await self.handler(body)
            await asyncio.sleep(0.05)
            language = body["metadata"].get("language")
            return JSONResponse(
                [{"recipient_id": sender, "text": f"echo[{language}]: {body['message']}"}]
            )
        finally:
            self.in_flight[sender] -= 1

    async def status(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        try:
            claims = jwt.decode(
                token, self.token, algorithms=["HS256"], options={"require": ["exp"]}
            )
        except jwt.InvalidTokenError:
            return JSONResponse({"message": "unauthorised"}, status_code=401)
        if scheme != "Bearer" or claims["user"]["role"] != "admin":
            return JSONResponse({"message": "insufficient permissions"}, status_code=403)
        model = "models/fake.tar.gz" if self.model_loaded else None
        return JSONResponse(
            {"model_file": model, "model_id": "fake", "num_active_training_jobs": 0}
        )

    @staticmethod
    async def action_health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/webhooks/rest/webhook", self.webhook, methods=["POST"]),
                Route("/status", self.status),
                Route("/health", self.action_health),
            ]
        )


async def nps_question(body: dict[str, Any]) -> Response:
    """Rasa's answer shape for a 0–10 rating question with a "no thanks" button."""
    scale = [{"title": str(n), "payload": f'/rate{{"score": {n}}}'} for n in range(11)]
    buttons = [*scale, {"title": "Nein danke", "payload": "/deny"}]
    return JSONResponse([{"recipient_id": body["sender"], "text": "0 bis 10?", "buttons": buttons}])


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a thread on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
