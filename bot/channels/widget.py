"""Website chat widget: a WebSocket per browser tab, sessions issued by the server.

The widget (`/widget.js`) opens `ws(s)://<gateway>/widget/ws` and says hello with
the session it got earlier, if any. The server answers with a session id it
issued itself (a client never picks its own sender id) and the conversation so
far, so a reload or a second tab continues where the customer left off. Every
customer message carries a client id: it is acknowledged once stored, and a
message re-sent after a lost connection is stored and answered only once.
What a session's tabs are sent goes through the bus (WIDGET_TOPIC), so a tab
connected to another gateway process gets it too.

Client → server: {"type": "hello", "session": str|null, "language": "de-DE",
"customer_token": str?}; {"type": "message", "id": str, "text": str,
"title": str?} (title: what a tapped button said).
Server → client: {"type": "welcome", "session", "history": [...]}; {"type": "ack",
"id"}; {"type": "typing"}; {"type": "reply", "text", "buttons", "image"};
{"type": "error", "error"}.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from bot.coordination.protocols import WIDGET_TOPIC, Bus, Event
from bot.db import conversations as queries
from bot.identity import VerifiedVia
from bot.messages import SHARE_PHONE_PAYLOAD, IdentityProof, Inbound, Outbound
from bot.router import Router
from bot.shop_token import InvalidShopTokenError, member_number_from_token

logger = logging.getLogger(__name__)

CHANNEL = "widget"
WS_PATH = "/widget/ws"
SESSION_BYTES = 24


class Hello(BaseModel):
    type: str = Field(pattern="^hello$")
    session: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=20)
    customer_token: str | None = Field(default=None, max_length=4096)


class ChatMessage(BaseModel):
    type: str = Field(pattern="^message$")
    id: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=4096)
    title: str | None = Field(default=None, max_length=200)


class WidgetHub:
    """The open sockets of each widget session, so replies reach every tab of it.

    Session ids are random and signed with the session secret, so the gateway
    recognises the ones it issued (a second tab, a reload) and nothing else.
    """

    def __init__(
        self,
        router: Router,
        sessions: sessionmaker[Session],
        *,
        session_secret: bytes,
        bus: Bus,
    ) -> None:
        self._router = router
        self._sessions = sessions
        self._secret = session_secret
        self._bus = bus
        self._sockets: defaultdict[str, set[WebSocket]] = defaultdict(set)
        bus.subscribe(WIDGET_TOPIC, self._to_local_tabs)

    async def serve(self, socket: WebSocket, shop_token_secret: str | None) -> None:
        """Run one browser tab's connection until it closes."""
        await socket.accept()
        try:
            hello = Hello.model_validate(await socket.receive_json())
        except (ValidationError, ValueError) as error:
            await socket.send_json({"type": "error", "error": f"expected hello: {error}"})
            await socket.close(code=1008)
            return
        session = await asyncio.to_thread(self._known_session, hello.session)
        sender = f"{CHANNEL}:{session}"
        proof = _shop_login(hello.customer_token, shop_token_secret)
        history = await asyncio.to_thread(self._history, sender)
        await socket.send_json({"type": "welcome", "session": session, "history": history})
        self._sockets[sender].add(socket)
        try:
            while True:
                await self._receive(socket, sender, hello.language, proof)
        except WebSocketDisconnect:
            pass
        finally:
            self._sockets[sender].discard(socket)
            if not self._sockets[sender]:
                del self._sockets[sender]

    async def _receive(
        self, socket: WebSocket, sender: str, language: str | None, proof: IdentityProof | None
    ) -> None:
        data = await socket.receive_json()
        try:
            message = ChatMessage.model_validate(data)
        except ValidationError as error:
            await socket.send_json({"type": "error", "error": f"malformed message: {error}"})
            return
        inbound = Inbound(
            channel=CHANNEL,
            sender_id=sender,
            text=message.text,
            provider_message_id=message.id,
            language_hint=language,
            identity=proof,
            display_text=message.title,
        )

        async def deliver(replies: list[Outbound], language: str) -> list[str | None]:
            return await self.send_to(sender, replies, language)

        is_new = await self._router.accept(inbound, deliver)
        await socket.send_json({"type": "ack", "id": message.id})
        if is_new:
            await self._broadcast(sender, [{"type": "typing"}])

    async def send_to(
        self, sender_id: str, replies: list[Outbound], _language: str
    ) -> list[str | None]:
        """Push messages to every open tab of a session (agent replies, the bot resuming)."""
        await self._broadcast(sender_id, [_reply(r) for r in replies])
        return [None] * len(replies)

    async def _broadcast(self, sender: str, events: list[dict[str, Any]]) -> None:
        await self._bus.publish(WIDGET_TOPIC, {"sender": sender, "events": events})

    async def _to_local_tabs(self, published: Event) -> None:
        # A tab that went away meanwhile gets the replies with the history when it is back.
        sender: str = published["sender"]
        events: list[dict[str, Any]] = published["events"]
        for socket in list(self._sockets.get(sender, ())):
            try:
                for event in events:
                    await socket.send_json(event)
            except (WebSocketDisconnect, RuntimeError):
                self._sockets[sender].discard(socket)

    def _known_session(self, session: str | None) -> str:
        if session:
            token, _, signature = session.rpartition(".")
            if token and hmac.compare_digest(signature, self._sign(token)):
                return session
            with self._sessions() as db:
                if queries.find_conversation(db, sender_id=f"{CHANNEL}:{session}") is not None:
                    return session
        token = secrets.token_urlsafe(SESSION_BYTES)
        return f"{token}.{self._sign(token)}"

    def _sign(self, token: str) -> str:
        return hmac.new(self._secret, token.encode(), hashlib.sha256).hexdigest()[:32]

    def _history(self, sender: str) -> list[dict[str, Any]]:
        with self._sessions() as db:
            return [
                {
                    "from": message.author,
                    "id": message.provider_message_id if message.direction == "in" else None,
                    "text": message.payload.get("display") or message.text,
                    **(
                        {}
                        if message.direction == "in"
                        else _reply(Outbound.from_rasa({"text": message.text, **message.payload}))
                    ),
                }
                for message in queries.conversation_messages(db, sender_id=sender)
            ]


def _reply(reply: Outbound) -> dict[str, Any]:
    shown = reply.without_buttons(SHARE_PHONE_PAYLOAD)
    return {
        "type": "reply",
        "text": shown.text or "",
        "buttons": [{"title": b.title, "payload": b.payload} for b in shown.buttons],
        "image": shown.image,
    }


def _shop_login(token: str | None, secret: str | None) -> IdentityProof | None:
    if not token or secret is None:
        return None
    try:
        member_number = member_number_from_token(token, secret=secret)
    except InvalidShopTokenError as error:
        logger.warning("A widget visitor brought an invalid shop login token (%s)", error)
        return None
    return IdentityProof(via=VerifiedVia.SHOP_LOGIN.value, member_number=member_number)


def create_widget_routes() -> APIRouter:
    routes = APIRouter()

    @routes.websocket(WS_PATH)
    async def widget_socket(socket: WebSocket) -> None:
        hub: WidgetHub = socket.app.state.widget
        await hub.serve(socket, socket.app.state.shop_token_secret)

    return routes
