"""A stack is announced ready only when its own gateway says so, not any server on the port."""

from __future__ import annotations

import httpx

from bot.health import gateway_ready

READY = {
    "status": "ok",
    "rasa": {"ready": True, "detail": "model loaded"},
    "action_server": {"ready": True, "detail": "running"},
    "database": {"ready": True, "detail": "answering"},
    "coordination": {"ready": True, "detail": "answering"},
}


def answer(status: int, body: object = None, text: str | None = None) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text)
    return httpx.Response(status, json=body)


def test_the_gateways_ready_answer_counts() -> None:
    assert gateway_ready(answer(200, READY))


def test_another_servers_health_on_the_port_does_not_count() -> None:
    assert not gateway_ready(answer(200, {"status": "ok"}))
    assert not gateway_ready(answer(200, text="OK"))
    assert not gateway_ready(answer(200, ["ok"]))


def test_a_gateway_still_waiting_for_rasa_is_not_ready() -> None:
    waiting = {**READY, "status": "unavailable", "rasa": {"ready": False, "detail": "loading"}}
    assert not gateway_ready(answer(503, waiting))
