"""ASGI application: wires settings, database, Rasa client and channels together."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.middleware.sessions import SessionMiddleware
from twilio.request_validator import RequestValidator

from bot.channels.rest import create_rest_channel
from bot.channels.telegram import create_telegram_routes, telegram_channel
from bot.channels.whatsapp import WhatsAppChannel, create_whatsapp_routes, whatsapp_channel
from bot.channels.widget import WidgetHub, create_widget_routes
from bot.console.routes import NotLoggedInError, create_console_routes, redirect_to_login
from bot.coordination.wiring import LEASE_MARGIN_SECONDS, coordination
from bot.db import retries
from bot.db.engine import make_engine, make_session_factory
from bot.health import action_server_health, assistant_ready, database_health, rasa_health
from bot.language import LanguageDetector
from bot.messages import Outbound
from bot.outbox import Outbox
from bot.rasa_client import RasaClient
from bot.recovery import Recovery
from bot.reminders import WaitingReminder
from bot.responses import DomainResponses
from bot.router import Router
from bot.settings import GatewaySettings

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"


def widget_session_secret(settings: GatewaySettings) -> bytes:
    """WIDGET_SESSION_SECRET, or a random one that lives as long as this process."""
    if settings.widget_session_secret is not None:
        return settings.widget_session_secret.get_secret_value().encode()
    logger.info(
        "WIDGET_SESSION_SECRET is not set: chat sessions without messages end with a restart"
    )
    return secrets.token_bytes(32)


def _register_channels(outbox: Outbox, state: Any) -> None:
    # Agent replies, late answers and the bot's welcome back reach each conversation on
    # its own channel.
    outbox.register("widget", state.widget.send_to)
    if state.telegram is not None:
        outbox.register("telegram", state.telegram.send_to)
    whatsapp: WhatsAppChannel | None = state.whatsapp
    if whatsapp is not None:

        async def to_whatsapp(
            sender: str, replies: list[Outbound], language: str
        ) -> list[str | None]:
            last = await outbox.last_customer_message_at(sender)
            return await whatsapp.send(
                sender, replies, last_customer_message=last, language=language
            )

        outbox.register("whatsapp", to_whatsapp)


def _retry_policy(settings: GatewaySettings) -> retries.RetryPolicy:
    # A process that stopped mid-answer has lost its conversation lock after one lease;
    # its messages are taken over after two, so a slow live answer is never doubled.
    lease = settings.rasa_timeout_seconds + LEASE_MARGIN_SECONDS
    return retries.RetryPolicy(
        stale_after=dt.timedelta(seconds=2 * lease),
        max_age=dt.timedelta(minutes=settings.recovery_max_age_minutes),
        max_attempts=settings.recovery_max_attempts,
    )


def create_app(settings: GatewaySettings) -> FastAPI:
    """The gateway; engines and clients are created at start-up, not at import."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.effective_database_url)
        sessions = make_session_factory(engine)
        timeout = httpx.Timeout(settings.rasa_timeout_seconds, connect=5.0)
        async with httpx.AsyncClient(timeout=timeout) as http, coordination(settings) as shared:
            rasa = RasaClient(
                http, base_url=settings.rasa_url, token=settings.rasa_token.get_secret_value()
            )
            replies = DomainResponses.from_domain(settings.domain_path)
            outbox = Outbox(sessions, rasa, shared.order)
            app.state.sessions = sessions
            app.state.http = http
            app.state.rasa = rasa
            app.state.bus = shared.bus
            app.state.coordination_health = shared.health
            app.state.router = Router(
                sessions=sessions,
                rasa=rasa,
                detector=LanguageDetector.from_nlu_dir(settings.nlu_data_dir),
                replies=replies,
                default_language=settings.default_language,
                order=shared.order,
                bus=shared.bus,
                answers_later=outbox.can_send,
            )
            app.state.public_base_url = settings.public_base_url
            app.state.widget = WidgetHub(
                app.state.router,
                sessions,
                session_secret=widget_session_secret(settings),
                bus=shared.bus,
            )
            async with (
                whatsapp_channel(settings, app.state.router) as whatsapp,
                telegram_channel(settings, app.state.router) as telegram,
            ):
                app.state.whatsapp = whatsapp
                token = settings.twilio_auth_token
                app.state.twilio_validator = (
                    RequestValidator(token.get_secret_value()) if whatsapp and token else None
                )
                app.state.telegram = telegram
                _register_channels(outbox, app.state)
                app.state.outbox = outbox
                app.state.escalate_after = dt.timedelta(minutes=settings.handoff_escalate_minutes)
                reminder = WaitingReminder(
                    sessions=sessions,
                    outbox=app.state.outbox,
                    replies=replies,
                    after=app.state.escalate_after,
                )
                reminding = asyncio.create_task(reminder.run_forever())

                recovery = Recovery(
                    sessions=sessions,
                    rasa=rasa,
                    outbox=outbox,
                    order=shared.order,
                    bus=shared.bus,
                    replies=replies,
                    policy=_retry_policy(settings),
                    assistant_ready=functools.partial(
                        assistant_ready, rasa, http, settings.action_server_url
                    ),
                )
                app.state.recovery = recovery
                recovering = asyncio.create_task(
                    recovery.run_forever(settings.recovery_interval_seconds)
                )
                secret = settings.telegram_webhook_secret
                app.state.telegram_secret = secret.get_secret_value() if secret else None
                logger.info("Gateway ready: Rasa at %s, database %s", settings.rasa_url, engine.url)
                yield
                reminding.cancel()
                recovering.cancel()
            await app.state.router.drain()
        engine.dispose()

    app = FastAPI(title="Nordlicht assistant gateway", lifespan=lifespan)
    token = settings.rest_api_token.get_secret_value() if settings.rest_api_token else None
    shop_secret = settings.shop_token_secret
    app.include_router(
        create_rest_channel(
            api_token=token,
            shop_token_secret=shop_secret.get_secret_value() if shop_secret else None,
        )
    )

    app.include_router(create_telegram_routes())
    app.include_router(create_whatsapp_routes())
    app.include_router(create_widget_routes())
    app.include_router(create_console_routes())
    app.add_exception_handler(NotLoggedInError, redirect_to_login)  # type: ignore[arg-type]
    console_key = settings.console_secret_key
    app.add_middleware(
        SessionMiddleware,
        secret_key=console_key.get_secret_value() if console_key else secrets.token_hex(32),
        session_cookie="nordlicht_console",
        same_site="strict",
        https_only=settings.console_https_only,
        max_age=12 * 3600,
    )
    app.state.shop_token_secret = shop_secret.get_secret_value() if shop_secret else None

    @app.get("/health")
    async def health(request: Request) -> JSONResponse:
        """200 only when Rasa has a model, the action server runs, the database and Redis answer."""
        state = request.app.state
        rasa, actions, database, coordinating = await asyncio.gather(
            rasa_health(state.rasa),
            action_server_health(state.http, settings.action_server_url),
            database_health(state.sessions),
            state.coordination_health(),
        )
        ready = rasa.ready and actions.ready and database.ready and coordinating.ready
        body = {
            "status": "ok" if ready else "unavailable",
            "rasa": rasa.as_dict(),
            "action_server": actions.as_dict(),
            "database": database.as_dict(),
            "coordination": coordinating.as_dict(),
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/", include_in_schema=False)
    async def demo_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    @app.get("/widget.js", include_in_schema=False)
    async def widget_script() -> FileResponse:
        return FileResponse(STATIC_DIR / "widget.js", media_type="text/javascript")

    return app
