"""WhatsApp through Twilio: signed webhooks in, Messages API out, delivery statuses back.

Twilio posts each WhatsApp message form-encoded to `POST /webhooks/twilio/webhook`
and signs it (`X-Twilio-Signature`, checked with twilio's RequestValidator
against the public URL Twilio called). The message is stored before Twilio gets
its (empty TwiML) answer; replies go out afterwards through the Messages API.
WhatsApp has no buttons for free-form messages, so they become a numbered list,
and a reply "2" means the second button; a rating scale is shown as its numbers,
so "2" there is the score 2. Twilio reports delivered/read/failed to
`/webhooks/twilio/status`. The sender number is verified by WhatsApp, so it
links the chat to the customer registered with that mobile.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.db.orm import utcnow
from bot.identity import VerifiedVia
from bot.messages import SHARE_PHONE_PAYLOAD, IdentityProof, Inbound, Outbound, split_text
from bot.responses import DomainResponses
from bot.router import Router
from bot.settings import GatewaySettings

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
WEBHOOK_PATH = "/webhooks/twilio/webhook"
STATUS_PATH = "/webhooks/twilio/status"
SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_BODY = 1600
SERVICE_WINDOW = dt.timedelta(hours=24)
UNSUPPORTED_PAYLOAD = "/unsupported_message"
CHOICE_HINT_RESPONSE = "utter_numbered_choice_hint"
SCALE_HINT_RESPONSE = "utter_scale_hint"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
STATUSES = {"delivered", "read", "failed", "undelivered", "sent"}


class ServiceWindowClosedError(RuntimeError):
    """WhatsApp allows free-form messages only within 24 h of the customer's last message."""


class WhatsAppChannel:
    def __init__(
        self,
        client: Client,
        *,
        sender: str,
        router: Router,
        replies: DomainResponses,
        status_callback: str | None,
        template_sid: str | None,
    ) -> None:
        self._client = client
        self._sender = sender
        self._router = router
        self._replies = replies
        self._status_callback = status_callback
        self._template_sid = template_sid

    async def receive(self, form: dict[str, str]) -> None:
        """Store one incoming WhatsApp message and have it answered; a retry is ignored."""
        number = form.get("From", "")
        if not number.startswith("whatsapp:") or not form.get("MessageSid"):
            raise ValueError("not a WhatsApp message (From/MessageSid missing)")
        received_at = utcnow()
        inbound = Inbound(
            channel=CHANNEL,
            sender_id=number,
            text=await self._text(number, form),
            provider_message_id=form["MessageSid"],
            metadata={"profile_name": form["ProfileName"]} if form.get("ProfileName") else {},
            identity=IdentityProof(via=VerifiedVia.WHATSAPP_NUMBER.value, phone=number),
        )

        async def deliver(replies: list[Outbound], language: str) -> list[str | None]:
            return await self.send(
                number, replies, last_customer_message=received_at, language=language
            )

        await self._router.accept(inbound, deliver)

    async def send(
        self,
        to: str,
        replies: Sequence[Outbound],
        *,
        last_customer_message: dt.datetime,
        language: str = "de",
    ) -> list[str | None]:
        """Send replies in order; outside the 24-hour window only the approved template."""
        if utcnow() - last_customer_message > SERVICE_WINDOW:
            return [await self._send_template(to, replies)]
        ids: list[str | None] = []
        for reply in replies:
            body = self._render(reply.without_buttons(SHARE_PHONE_PAYLOAD), language)
            first: str | None = None
            for part in split_text(body, MAX_BODY):
                message = await self._client.messages.create_async(**self._params(to, body=part))
                first = first or str(message.sid)
            ids.append(first)
        return ids

    async def _send_template(self, to: str, replies: Sequence[Outbound]) -> str | None:
        if self._template_sid is None:
            raise ServiceWindowClosedError(
                "the customer's last message is older than 24 hours and no WhatsApp template "
                "is configured (TWILIO_TEMPLATE_CONTENT_SID)"
            )
        text = "\n\n".join(r.text for r in replies if r.text)
        message = await self._client.messages.create_async(
            **self._params(
                to,
                content_sid=self._template_sid,
                content_variables=json.dumps({"1": text[:MAX_BODY]}),
            )
        )
        return str(message.sid)

    def _params(self, to: str, **content: str) -> dict[str, Any]:
        params: dict[str, Any] = {"to": to, "from_": self._sender, **content}
        if self._status_callback:
            params["status_callback"] = self._status_callback
        return params

    def _render(self, reply: Outbound, language: str) -> str:
        lines = [reply.text or ""] if reply.text else []
        if reply.scale:
            lines.append(" · ".join(b.title for b in reply.scale))
            lines += [f"– {b.title}" for b in reply.choices]
            lines.append(self._replies.text(SCALE_HINT_RESPONSE, language=language))
        elif reply.buttons:
            lines += [f"{n}. {b.title}" for n, b in enumerate(reply.buttons, start=1)]
            lines.append(self._replies.text(CHOICE_HINT_RESPONSE, language=language))
        if reply.image:
            lines.append(reply.image)
        return "\n".join(lines)

    async def _text(self, number: str, form: dict[str, str]) -> str:
        body = form.get("Body", "").strip()
        if not body and int(form.get("NumMedia") or 0) > 0:
            return UNSUPPORTED_PAYLOAD
        if body.isdigit():
            # "2" is a score on a rating scale, else the second entry of a numbered list.
            buttons = await self._router.offered_buttons(number)
            scored = [b for b in buttons if b.title == body]
            if scored:
                return scored[0].payload
            choice = int(body)
            if 1 <= choice <= len(buttons) and not any(b.on_scale for b in buttons):
                return buttons[choice - 1].payload
        return body


def make_client(account_sid: str, auth_token: str, *, api_url: str) -> Client:
    """An async-capable Twilio client whose API base URL is a setting (tests use a fake)."""
    client = Client(account_sid, auth_token, http_client=AsyncTwilioHttpClient())
    client.api.base_url = api_url.rstrip("/")
    return client


def create_whatsapp_routes() -> APIRouter:
    """Webhook and status callback; the app puts the channel and validator into app.state."""
    routes = APIRouter()

    async def verified_form(request: Request) -> dict[str, str]:
        validator: RequestValidator | None = getattr(request.app.state, "twilio_validator", None)
        if validator is None:
            raise HTTPException(404, "the WhatsApp channel is not configured")
        form = {key: str(value) for key, value in (await request.form()).items()}
        public = getattr(request.app.state, "public_base_url", None)
        url = f"{public.rstrip('/')}{request.url.path}" if public else str(request.url)
        if request.url.query and public:
            url += f"?{request.url.query}"
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature or not validator.validate(url, form, signature):
            logger.warning("Refused a Twilio request with a missing or wrong signature")
            raise HTTPException(403, "invalid Twilio signature")
        return form

    @routes.post(WEBHOOK_PATH)
    async def webhook(request: Request) -> Response:
        form = await verified_form(request)
        channel: WhatsAppChannel = request.app.state.whatsapp
        try:
            await channel.receive(form)
        except ValueError as error:
            raise HTTPException(400, f"malformed message: {error}") from error
        return Response(EMPTY_TWIML, media_type="text/xml")

    @routes.post(STATUS_PATH)
    async def status(request: Request) -> Response:
        form = await verified_form(request)
        sid, state = form.get("MessageSid", ""), form.get("MessageStatus", "")
        if state in STATUSES:
            reason = form.get("ErrorMessage") or form.get("ErrorCode") or None
            router: Router = request.app.state.router
            if not await router.update_delivery(sid, state, reason if state != "read" else None):
                logger.info("Twilio reported %s for unknown message %s", state, sid)
        return Response(status_code=204)

    return routes


@asynccontextmanager
async def whatsapp_channel(
    settings: GatewaySettings, router: Router
) -> AsyncIterator[WhatsAppChannel | None]:
    """The channel while the gateway runs, or None (with one log line) when not configured."""
    sid, token, sender = (
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_whatsapp_from,
    )
    if not (sid and token and sender):
        logger.info(
            "WhatsApp is off (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM)"
        )
        yield None
        return
    public = settings.public_base_url
    client = make_client(sid, token.get_secret_value(), api_url=settings.twilio_api_url)
    logger.info("WhatsApp is on from %s", sender)
    try:
        yield WhatsAppChannel(
            client,
            sender=sender,
            router=router,
            replies=DomainResponses.from_domain(settings.domain_path),
            status_callback=f"{public.rstrip('/')}{STATUS_PATH}" if public else None,
            template_sid=settings.twilio_template_content_sid,
        )
    finally:
        await router.drain()
        await client.http_client.close()
