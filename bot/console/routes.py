"""The agent console at /console: every page and API route needs a logged-in agent.

Pages redirect to the login, API routes answer 401 and the live queue socket
closes with 4401; the reports are for admins only (403 for other agents).
Sessions live in a signed cookie (SameSite=strict, HttpOnly); every form
carries the session's CSRF token.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from bot.console import desk, reporting
from bot.console.live import queue_snapshot, stream_queue
from bot.coordination.protocols import QUEUE_TOPIC, Bus
from bot.db.orm import Agent
from bot.messages import Outbound
from bot.outbox import Outbox
from bot.reporting.period import PeriodError

logger = logging.getLogger(__name__)

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
TEMPLATES.env.filters.update(reporting.FILTERS)
UNAUTHORISED_CLOSE_CODE = 4401


class NotLoggedInError(Exception):
    """A page was asked for without a logged-in agent."""


def create_console_routes() -> APIRouter:
    routes = APIRouter(prefix="/console")

    @routes.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> Response:
        return _page(request, "login.html", error=request.query_params.get("error"))

    @routes.post("/login")
    async def login(
        request: Request, username: str = Form(), password: str = Form(), csrf: str = Form("")
    ) -> Response:
        _check_csrf(request, csrf)
        result = await asyncio.to_thread(desk.log_in, _sessions(request), username, password)
        if result.agent is None:
            error = "locked" if result.locked_until else "wrong"
            return RedirectResponse(f"/console/login?error={error}", status_code=303)
        request.session.clear()
        request.session.update({"agent_id": result.agent.id, "csrf": secrets.token_urlsafe(24)})
        logger.info("Agent %s logged in to the console", username)
        return RedirectResponse("/console", status_code=303)

    @routes.post("/logout")
    async def logout(request: Request, csrf: str = Form("")) -> Response:
        _check_csrf(request, csrf)
        request.session.clear()
        return RedirectResponse("/console/login", status_code=303)

    @routes.get("", response_class=HTMLResponse)
    async def queue_page(request: Request) -> Response:
        agent = await _agent_or_redirect(request)
        return _page(request, "queue.html", agent=agent)

    @routes.get("/api/queue")
    async def queue_api(request: Request) -> JSONResponse:
        await _agent_or_401(request)
        escalate_after = request.app.state.escalate_after
        snapshot = await asyncio.to_thread(queue_snapshot, _sessions(request), escalate_after)
        return JSONResponse(snapshot)

    @routes.websocket("/ws")
    async def queue_socket(socket: WebSocket) -> None:
        await socket.accept()
        agent_id = socket.session.get("agent_id")
        sessions: sessionmaker[Session] = socket.app.state.sessions
        if agent_id is None or await asyncio.to_thread(desk.agent, sessions, agent_id) is None:
            await socket.close(code=UNAUTHORISED_CLOSE_CODE)
            return
        await stream_queue(
            socket,
            sessions=sessions,
            escalate_after=socket.app.state.escalate_after,
            bus=socket.app.state.bus,
            mark_present=lambda: desk.agent(sessions, agent_id),
        )

    @routes.get("/conversations/{handoff_id}", response_class=HTMLResponse)
    async def conversation_page(request: Request, handoff_id: int) -> Response:
        agent = await _agent_or_redirect(request)
        context = await asyncio.to_thread(desk.conversation, _sessions(request), handoff_id)
        return _page(request, "conversation.html", agent=agent, **context)

    @routes.post("/handoffs/{handoff_id}/claim")
    async def claim(request: Request, handoff_id: int, csrf: str = Form("")) -> Response:
        agent = await _agent_or_401(request)
        _check_csrf(request, csrf)
        won = await asyncio.to_thread(desk.claim, _sessions(request), handoff_id, agent.id)
        if won:
            await _queue_changed(request, "claimed")
        target = f"/console/conversations/{handoff_id}" + ("" if won else "?taken=1")
        return RedirectResponse(target, status_code=303)

    @routes.post("/handoffs/{handoff_id}/reply")
    async def reply(
        request: Request, handoff_id: int, text: str = Form(max_length=4096), csrf: str = Form("")
    ) -> Response:
        agent = await _agent_or_401(request)
        _check_csrf(request, csrf)
        sender_id = await asyncio.to_thread(
            desk.own_open_handoff, _sessions(request), handoff_id, agent.id
        )
        outbox: Outbox = request.app.state.outbox
        sent = await outbox.send(
            sender_id=sender_id, author="agent", replies=[Outbound(sender_id, text.strip())]
        )
        suffix = "" if sent.status == "sent" else f"?delivery={sent.status}"
        return RedirectResponse(f"/console/conversations/{handoff_id}{suffix}", status_code=303)

    @routes.post("/handoffs/{handoff_id}/note")
    async def note(
        request: Request, handoff_id: int, text: str = Form(max_length=4096), csrf: str = Form("")
    ) -> Response:
        agent = await _agent_or_401(request)
        _check_csrf(request, csrf)
        await asyncio.to_thread(desk.note, _sessions(request), handoff_id, agent.id, text.strip())
        return RedirectResponse(f"/console/conversations/{handoff_id}", status_code=303)

    @routes.post("/handoffs/{handoff_id}/transfer")
    async def transfer(
        request: Request, handoff_id: int, to_agent: int = Form(), csrf: str = Form("")
    ) -> Response:
        agent = await _agent_or_401(request)
        _check_csrf(request, csrf)
        await asyncio.to_thread(desk.transfer, _sessions(request), handoff_id, agent.id, to_agent)
        await _queue_changed(request, "transferred")
        return RedirectResponse("/console", status_code=303)

    @routes.post("/handoffs/{handoff_id}/close")
    async def close(request: Request, handoff_id: int, csrf: str = Form("")) -> Response:
        agent = await _agent_or_401(request)
        _check_csrf(request, csrf)
        sender_id = await asyncio.to_thread(desk.close, _sessions(request), handoff_id, agent.id)
        await _queue_changed(request, "closed")
        outbox: Outbox = request.app.state.outbox
        await outbox.resume_assistant(sender_id)
        return RedirectResponse("/console", status_code=303)

    @routes.get("/reports", response_class=HTMLResponse)
    async def reports_page(request: Request) -> Response:
        agent = _admin(await _agent_or_redirect(request))
        try:
            result = await reporting.requested_report(request.query_params, _sessions(request))
        except PeriodError:
            page = _page(request, "reports.html", agent=agent, error=reporting.PERIOD_HELP)
            page.status_code = 400
            return page
        return _page(request, "reports.html", agent=agent, **reporting.page_context(result))

    @routes.get("/reports.csv")
    async def reports_csv(request: Request) -> Response:
        _admin(await _agent_or_401(request))
        try:
            result = await reporting.requested_report(request.query_params, _sessions(request))
        except PeriodError as error:
            raise HTTPException(400, str(error)) from error
        return reporting.csv_download(result)

    return routes


async def redirect_to_login(request: Request, _error: NotLoggedInError) -> Response:
    """Pages send a visitor without a session to the login form."""
    return RedirectResponse("/console/login", status_code=303)


def _page(request: Request, template: str, **context: Any) -> Response:
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return TEMPLATES.TemplateResponse(
        request, template, {"csrf": request.session["csrf"], **context}
    )


def _check_csrf(request: Request, supplied: str) -> None:
    expected = request.session.get("csrf", "")
    if not expected or not hmac.compare_digest(expected.encode(), supplied.encode()):
        raise HTTPException(403, "missing or wrong CSRF token")


async def _queue_changed(request: Request, change: str) -> None:
    bus: Bus = request.app.state.bus
    await bus.publish(QUEUE_TOPIC, {"change": change})


def _sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


async def _agent_or_redirect(request: Request) -> Agent:
    agent_id = request.session.get("agent_id")
    agent = await asyncio.to_thread(desk.agent, _sessions(request), agent_id) if agent_id else None
    if agent is None:
        raise NotLoggedInError
    return agent


async def _agent_or_401(request: Request) -> Agent:
    agent_id = request.session.get("agent_id")
    agent = await asyncio.to_thread(desk.agent, _sessions(request), agent_id) if agent_id else None
    if agent is None:
        raise HTTPException(401, "log in to the console first")
    return agent


def _admin(agent: Agent) -> Agent:
    if agent.role != "admin":
        raise HTTPException(403, "reports are for admins")
    return agent
