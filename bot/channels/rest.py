"""REST channel with the request and response shape of Rasa's own REST channel.

`POST /webhooks/rest/webhook` takes `{"sender", "message", "metadata"}` and answers
synchronously with a list of `{"recipient_id", "text", "buttons", "image", "custom"}`.
With REST_API_TOKEN set it needs `Authorization: Bearer <token>`; without one it
serves clients on this machine only. `metadata.language` (e.g. the browser's
"en-GB") seeds the language of a new conversation; `metadata.message_id` makes a
retry of the same message idempotent. `metadata.customer_token`, a login token
signed by the shop (see bot/shop_token.py), proves who a logged-in visitor is;
a forged or expired one is refused with 401 and nothing is stored.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field, ValidationError

from bot import server_timing
from bot.identity import VerifiedVia
from bot.messages import SHARE_PHONE_PAYLOAD, IdentityProof, Inbound
from bot.router import Router
from bot.shop_token import InvalidShopTokenError, member_number_from_token

CHANNEL = "rest"


class RestMessage(BaseModel):
    sender: str = Field(min_length=1, max_length=150)
    message: str = Field(max_length=4096)
    metadata: dict[str, Any] | None = None


def create_rest_channel(*, api_token: str | None, shop_token_secret: str | None) -> APIRouter:
    """The REST channel's routes; the app wires the router into `app.state.router`."""
    routes = APIRouter()

    @routes.post("/webhooks/rest/webhook")
    async def receive(request: Request, response: Response) -> list[dict[str, Any]]:
        started = time.perf_counter()
        _authorise(request, api_token)
        message = await _parse(request)
        router: Router = request.app.state.router
        metadata = dict(message.metadata or {})
        proof = _shop_login(metadata.pop("customer_token", None), shop_token_secret)
        provider_id = metadata.get("message_id")
        with server_timing.collect() as spans:
            replies = await router.handle(
                Inbound(
                    channel=CHANNEL,
                    sender_id=f"{CHANNEL}:{message.sender}",
                    text=message.message,
                    provider_message_id=str(provider_id) if provider_id is not None else None,
                    metadata=metadata,
                    language_hint=str(metadata.get("language") or "") or None,
                    identity=proof,
                )
            )
            server_timing.record("total", started)
        response.headers[server_timing.HEADER] = server_timing.header_value(spans)
        return [
            {**reply.without_buttons(SHARE_PHONE_PAYLOAD).to_rasa(), "recipient_id": message.sender}
            for reply in replies
        ]

    return routes


def _authorise(request: Request, api_token: str | None) -> None:
    if api_token is None:
        host = request.client.host if request.client else ""
        if not _is_loopback(host):
            raise HTTPException(
                403, "the REST channel serves this machine only (set REST_API_TOKEN)"
            )
        return
    scheme, _, supplied = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not supplied:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(supplied.encode(), api_token.encode()):
        raise HTTPException(403, "invalid bearer token")


def _shop_login(token: Any, secret: str | None) -> IdentityProof | None:
    if token is None:
        return None
    if secret is None:
        raise HTTPException(401, "customer_token given, but SHOP_TOKEN_SECRET is not configured")
    try:
        member_number = member_number_from_token(str(token), secret=secret)
    except InvalidShopTokenError as error:
        raise HTTPException(401, f"invalid customer_token: {error}") from error
    return IdentityProof(via=VerifiedVia.SHOP_LOGIN.value, member_number=member_number)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _parse(request: Request) -> RestMessage:
    try:
        return RestMessage.model_validate(json.loads(await request.body()))
    except (ValueError, ValidationError) as error:
        raise HTTPException(400, f"malformed message: {error}") from error
