"""A fake Telegram Bot API: `POST /bot<token>/<method>` with Telegram's JSON envelopes.

Records every call (method and parameters, decoded from JSON or form fields as
python-telegram-bot sends them) so tests can check what a real bot would show.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Nordlicht", "username": "nordlicht_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeTelegram:
    token: str = "4242:test-token"
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    flood_limited_sends: int = 0
    """How many sendMessage calls to refuse with 429 (retry_after 1) before accepting."""
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{method}", self.endpoint, methods=["POST"])])

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Parameters of every accepted sendMessage, optionally for one chat."""
        return [
            call.params
            for call in self.calls
            if call.method == "sendMessage"
            and (chat_id is None or int(call.params["chat_id"]) == chat_id)
        ]

    def methods(self) -> list[str]:
        return [call.method for call in self.calls]

    async def wait_for_messages(self, chat_id: int, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.sent(chat_id)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages, got {self.sent(chat_id)}")
            await asyncio.sleep(0.02)

    async def endpoint(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        params = await _params(request)
        if method == "sendMessage" and self.flood_limited_sends > 0:
            self.flood_limited_sends -= 1
            self.calls.append(Call("sendMessage (refused: 429)", params))
            return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self.calls.append(Call(method, params))
        if method == "getMe":
            return _ok(BOT_USER)
        if method == "sendMessage":
            return _ok(
                {
                    "message_id": next(self._message_ids),
                    "date": int(time.time()),
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "from": BOT_USER,
                    "text": params["text"],
                }
            )
        if method == "getUpdates":
            updates, self.updates = self.updates, []
            if not updates:
                await asyncio.sleep(0.1)
            return _ok(updates)
        return _ok(True)


async def _params(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()
        return dict(json.loads(body)) if body else {}
    form = await request.form()
    params: dict[str, Any] = {}
    for key, value in form.items():
        text = str(value)
        try:
            params[key] = json.loads(text) if text[:1] in "[{" else text
        except ValueError:
            params[key] = text
    return params


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=code)


def text_update(update_id: int, chat_id: int, text: str, language: str = "de") -> dict[str, Any]:
    """An update as Telegram posts it for a private text message."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Anna"},
            "from": _user(chat_id, language),
            **({"text": text} if text else {}),
        },
    }


def _user(user_id: int, language: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Anna", "language_code": language}


def contact_update(
    update_id: int, chat_id: int, phone: str, contact_user_id: int
) -> dict[str, Any]:
    update = text_update(update_id, chat_id, "")
    update["message"]["contact"] = {
        "phone_number": phone,
        "first_name": "Anna",
        "user_id": contact_user_id,
    }
    return update


def photo_update(update_id: int, chat_id: int) -> dict[str, Any]:
    update = text_update(update_id, chat_id, "")
    update["message"]["photo"] = [
        {"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}
    ]
    return update


def button_tap(update_id: int, chat_id: int, data: str, language: str = "de") -> dict[str, Any]:
    """A callback query: the customer tapped an inline button under message 1."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb-{update_id}",
            "from": _user(chat_id, language),
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": "…",
            },
        },
    }
