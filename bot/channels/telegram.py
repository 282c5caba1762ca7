"""Telegram channel with python-telegram-bot: webhook (or polling), inline keyboards, contacts.

Telegram posts each update to `POST /webhooks/telegram/webhook` with the secret
token it was registered with (`python -m bot telegram set-webhook`); anything
else gets 403. The update is stored before Telegram gets its 200, and the reply
goes out through the Bot API afterwards, in order per chat. Button taps arrive
as callback queries and are fed to the assistant as the button's payload. A
contact the sender shares of themselves links the chat to the customer with
that mobile number; photos, voice messages and the like get a polite answer.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, MessageLimit
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ExtBot

from bot.identity import VerifiedVia
from bot.messages import SHARE_PHONE_PAYLOAD, IdentityProof, Inbound, Outbound, split_text
from bot.router import Router
from bot.settings import TelegramSettings

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "callback_query")
GREET_PAYLOAD = "/greet"
CONTACT_PAYLOAD = "/contact_shared"
UNSUPPORTED_PAYLOAD = "/unsupported_message"
RATE_LIMIT_RETRIES = 3
SCALE_ROW = 6
MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)


def make_bot(token: str, *, base_url: str) -> ExtBot[Any]:
    """A Bot API client that keeps to Telegram's flood limits and retries after a 429."""
    return ExtBot(
        token, base_url=base_url, rate_limiter=AIORateLimiter(max_retries=RATE_LIMIT_RETRIES)
    )


class TelegramChannel:
    """Turns updates into inbound messages and replies into Bot API calls."""

    def __init__(self, bot: Bot, router: Router) -> None:
        self.bot = bot
        self._router = router

    async def receive(self, data: dict[str, Any]) -> None:
        """Store one update's message and have it answered; a repeated update is ignored."""
        update = Update.de_json(data, self.bot)
        inbound = self._inbound(update)
        if inbound is None:
            return
        if update.callback_query is not None:
            await self._quietly(self.bot.answer_callback_query(update.callback_query.id))
        chat_id = int(inbound.sender_id.removeprefix(f"{CHANNEL}:"))

        async def deliver(replies: list[Outbound], _language: str) -> list[str | None]:
            return await self.send(chat_id, replies)

        if await self._router.accept(inbound, deliver):
            await self._quietly(self.bot.send_chat_action(chat_id, ChatAction.TYPING))

    async def send_to(
        self, sender_id: str, replies: list[Outbound], _language: str
    ) -> list[str | None]:
        """Send to a conversation by its sender id (agent replies, the bot resuming)."""
        return await self.send(int(sender_id.removeprefix(f"{CHANNEL}:")), replies)

    async def send(self, chat_id: int, replies: Sequence[Outbound]) -> list[str | None]:
        """Send replies in order (long texts split, buttons as a keyboard on the last part);
        returns Telegram's message id of each reply's first part."""
        ids: list[str | None] = []
        for reply in replies:
            first: str | None = None
            if reply.image:
                first = str((await self.bot.send_photo(chat_id, reply.image)).message_id)
            parts = split_text(reply.text, MAX_TEXT) if reply.text else []
            for index, part in enumerate(parts):
                markup = _keyboard(reply) if index == len(parts) - 1 else None
                sent = await self.bot.send_message(chat_id, part, reply_markup=markup)
                first = first or str(sent.message_id)
            ids.append(first)
        return ids

    def _inbound(self, update: Update) -> Inbound | None:
        query = update.callback_query
        if query is not None:
            if query.message is None or not query.data:
                return None
            return self._message(update, query.message.chat.id, query.data, query.from_user)
        message = update.message
        if message is None or message.from_user is None:
            return None
        sender = message.from_user
        if message.text is not None:
            text, metadata = _text_and_metadata(message.text)
            return self._message(update, message.chat.id, text, sender, metadata)
        contact = message.contact
        if contact is not None:
            own = contact.user_id == sender.id
            proof = (
                IdentityProof(via=VerifiedVia.TELEGRAM_CONTACT.value, phone=contact.phone_number)
                if own
                else None
            )
            if not own:
                logger.warning(
                    "Telegram chat %s shared a contact that is not their own; not linked",
                    message.chat.id,
                )
            return self._message(update, message.chat.id, CONTACT_PAYLOAD, sender, proof=proof)
        return self._message(update, message.chat.id, UNSUPPORTED_PAYLOAD, sender)

    @staticmethod
    def _message(
        update: Update,
        chat_id: int,
        text: str,
        sender: Any,
        metadata: dict[str, Any] | None = None,
        proof: IdentityProof | None = None,
    ) -> Inbound:
        return Inbound(
            channel=CHANNEL,
            sender_id=f"{CHANNEL}:{chat_id}",
            text=text,
            provider_message_id=str(update.update_id),
            metadata=metadata or {},
            language_hint=getattr(sender, "language_code", None),
            identity=proof,
        )

    @staticmethod
    async def _quietly(call: Any) -> None:
        # Courtesy calls (typing…, acknowledging a tap) must never lose the message.
        try:
            await call
        except TelegramError as error:
            logger.warning("Telegram refused a courtesy call: %s", error)


def _text_and_metadata(text: str) -> tuple[str, dict[str, Any]]:
    # "/start" (optionally with a deep-link payload) is Telegram's hello.
    command, _, argument = text.partition(" ")
    if command.split("@")[0] == "/start":
        return GREET_PAYLOAD, {"start_payload": argument} if argument else {}
    return text, {}


def _keyboard(reply: Outbound) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    if not reply.buttons:
        return None
    share = [b for b in reply.buttons if b.payload == SHARE_PHONE_PAYLOAD]
    if share:
        rows = [[KeyboardButton(b.title, request_contact=True)] for b in share]
        return ReplyKeyboardMarkup(rows, one_time_keyboard=True, resize_keyboard=True)
    # A rating scale sits in one or two even rows (0–10 as 6 + 5); other buttons one per row.
    scale = [InlineKeyboardButton(b.title, callback_data=b.payload) for b in reply.scale]
    per_row = math.ceil(len(scale) / math.ceil(len(scale) / SCALE_ROW)) if scale else 1
    keyboard = [scale[i : i + per_row] for i in range(0, len(scale), per_row)]
    keyboard += [[InlineKeyboardButton(b.title, callback_data=b.payload)] for b in reply.choices]
    return InlineKeyboardMarkup(keyboard)


def create_telegram_routes() -> APIRouter:
    """The webhook; the app puts the configured channel and secret into app.state."""
    routes = APIRouter()

    @routes.post(WEBHOOK_PATH)
    async def webhook(request: Request) -> Response:
        channel: TelegramChannel | None = getattr(request.app.state, "telegram", None)
        secret: str | None = getattr(request.app.state, "telegram_secret", None)
        if channel is None or secret is None:
            raise HTTPException(404, "the Telegram channel is not configured")
        supplied = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(supplied.encode(), secret.encode()):
            raise HTTPException(403, "wrong or missing secret token")
        try:
            data = json.loads(await request.body())
            if not isinstance(data, dict) or "update_id" not in data:
                raise ValueError("not a Telegram update")
        except ValueError as error:
            raise HTTPException(400, f"malformed update: {error}") from error
        await channel.receive(data)
        return Response(status_code=200)

    return routes


async def poll(channel: TelegramChannel, *, timeout: int = 25) -> None:
    """Local development without a public URL: fetch updates instead of receiving webhooks."""
    await channel.bot.delete_webhook()
    logger.info("Telegram: polling for updates (TELEGRAM_MODE=polling)")
    offset: int | None = None
    while True:
        try:
            updates = await channel.bot.get_updates(
                offset=offset, timeout=timeout, allowed_updates=list(ALLOWED_UPDATES)
            )
        except TelegramError as error:
            logger.warning("Telegram: fetching updates failed (%s); retrying in 5 s", error)
            await asyncio.sleep(5)
            continue
        for update in updates:
            offset = update.update_id + 1
            await channel.receive(update.to_dict())


@asynccontextmanager
async def telegram_channel(
    settings: TelegramSettings, router: Router
) -> AsyncIterator[TelegramChannel | None]:
    """The channel while the gateway runs, or None (with one log line) when not configured."""
    token = settings.telegram_bot_token
    if token is None:
        logger.info("Telegram is off (TELEGRAM_BOT_TOKEN is not set)")
        yield None
        return
    if settings.telegram_mode == "webhook" and settings.telegram_webhook_secret is None:
        logger.warning("Telegram is off: webhook mode needs TELEGRAM_WEBHOOK_SECRET")
        yield None
        return
    bot = make_bot(token.get_secret_value(), base_url=settings.telegram_api_url)
    try:
        await bot.initialize()
    except TelegramError as error:
        logger.error("Telegram is off: the Bot API refused the token or is unreachable (%s)", error)
        yield None
        return
    channel = TelegramChannel(bot, router)
    polling = asyncio.create_task(poll(channel)) if settings.telegram_mode == "polling" else None
    logger.info("Telegram is on as @%s (%s mode)", bot.username, settings.telegram_mode)
    try:
        yield channel
    finally:
        if polling is not None:
            polling.cancel()
        await router.drain()
        await bot.shutdown()


async def register_webhook(settings: TelegramSettings, *, delete: bool) -> int:
    """Point Telegram at this gateway's webhook (or stop it); returns an exit code."""
    token, secret = settings.telegram_bot_token, settings.telegram_webhook_secret
    if token is None or (not delete and (secret is None or not settings.public_base_url)):
        logger.error(
            "Set TELEGRAM_BOT_TOKEN%s first",
            "" if delete else ", TELEGRAM_WEBHOOK_SECRET and PUBLIC_BASE_URL (https://…)",
        )
        return 2
    async with make_bot(token.get_secret_value(), base_url=settings.telegram_api_url) as bot:
        if delete:
            await bot.delete_webhook()
            logger.info("Telegram no longer calls the webhook of @%s", bot.username)
            return 0
        assert secret is not None and settings.public_base_url is not None
        url = settings.public_base_url.rstrip("/") + WEBHOOK_PATH
        await bot.set_webhook(
            url, secret_token=secret.get_secret_value(), allowed_updates=list(ALLOWED_UPDATES)
        )
        logger.info("Telegram now sends the updates of @%s to %s", bot.username, url)
    return 0
