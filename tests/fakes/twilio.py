"""A fake Twilio Messages API (`POST /2010-04-01/Accounts/<sid>/Messages.json`).

Answers like Twilio: HTTP basic auth with account SID and auth token, form
fields in, 201 with the message resource out, or Twilio's error JSON.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC00000000000000000000000000000000"
AUTH_TOKEN = "twilio-test-auth-token"
SHOP_NUMBER = "whatsapp:+14155238886"


@dataclass
class FakeTwilio:
    sent: list[dict[str, str]] = field(default_factory=list)
    refuse_with: tuple[int, int, str] | None = None
    """(HTTP status, Twilio error code, message) to answer every send with, e.g. 63016."""
    _sids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> Starlette:
        path = "/2010-04-01/Accounts/{sid}/Messages.json"
        return Starlette(routes=[Route(path, self.create_message, methods=["POST"])])

    def to(self, number: str) -> list[dict[str, str]]:
        return [message for message in self.sent if message["To"] == number]

    async def wait_for(self, number: str, count: int, timeout: float = 10) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        while len(self.to(number)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages to {number}, got {self.sent}")
            await asyncio.sleep(0.02)
        return self.to(number)

    async def create_message(self, request: Request) -> Response:
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, 401)
        form = {key: str(value) for key, value in (await request.form()).items()}
        if self.refuse_with is not None:
            status, code, message = self.refuse_with
            return JSONResponse({"code": code, "message": message, "status": status}, status)
        self.sent.append(form)
        sid = f"SM{next(self._sids):032d}"
        return JSONResponse(_resource(sid, form), status_code=201)


def _resource(sid: str, form: dict[str, str]) -> dict[str, Any]:
    return {
        "sid": sid,
        "account_sid": ACCOUNT_SID,
        "to": form.get("To"),
        "from": form.get("From"),
        "body": form.get("Body", ""),
        "status": "queued",
        "num_segments": "1",
        "num_media": "0",
        "direction": "outbound-api",
        "api_version": "2010-04-01",
        "date_created": "Mon, 23 Nov 2026 10:00:00 +0000",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
    }


def signed(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    """The X-Twilio-Signature header Twilio would send for this URL and form."""
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}


def incoming(sid: str, number: str, body: str = "", **extra: str) -> dict[str, str]:
    """A WhatsApp message webhook's form fields as Twilio posts them."""
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": number,
        "To": SHOP_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "ProfileName": "Anna",
        "WaId": number.removeprefix("whatsapp:+"),
        **extra,
    }
