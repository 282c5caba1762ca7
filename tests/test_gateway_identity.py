"""The gateway links senders by channel proof and tells Rasa only that they are verified."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import create_app
from bot.db.orm import ChannelIdentity, Message
from bot.identity import VerifiedVia
from bot.messages import IdentityProof, Inbound
from bot.shop_token import issue_token
from tests.fakes.rasa import FakeRasa
from tests.gateway_client import gateway, make_settings

SECRET = "shop-secret-for-tests-only-32-bytes!"
ANNA = {"verified": True, "first_name": "Anna"}


def _token(member_number: str, secret: str = SECRET, expires_in: int = 300) -> str:
    return issue_token(member_number, secret=secret, expires_at=int(time.time()) + expires_in)


async def test_a_shop_login_token_links_the_visitor(
    demo_sessions: sessionmaker[Session], database_url: str, rasa_url: str, fake_rasa: FakeRasa
) -> None:
    settings = make_settings(database_url, rasa_url, shop_token_secret=SECRET)
    async with gateway(settings) as http:
        first = await http.post(
            "/webhooks/rest/webhook",
            json={
                "sender": "web-1",
                "message": "Hallo",
                "metadata": {"customer_token": _token("NL-100234")},
            },
        )
        later = await http.post(
            "/webhooks/rest/webhook", json={"sender": "web-1", "message": "Punkte?"}
        )

    assert (first.status_code, later.status_code) == (200, 200)
    assert [r["metadata"]["customer"] for r in fake_rasa.requests] == [ANNA, ANNA]
    assert "customer_token" not in fake_rasa.requests[0]["metadata"]
    with demo_sessions() as session:
        link = session.scalars(select(ChannelIdentity)).one()
        assert (link.sender_id, link.verified_via) == ("rest:web-1", VerifiedVia.SHOP_LOGIN.value)


@pytest.mark.parametrize(
    ("secret_configured", "token_secret", "expires_in", "reason"),
    [
        (SECRET, "forged-secret-forged-secret-forged!", 300, "Signature verification failed"),
        (SECRET, SECRET, -300, "expired"),
        (None, SECRET, 300, "SHOP_TOKEN_SECRET is not configured"),
    ],
)
async def test_a_bad_shop_token_is_refused_and_nothing_is_stored(
    demo_sessions: sessionmaker[Session],
    database_url: str,
    rasa_url: str,
    fake_rasa: FakeRasa,
    secret_configured: str | None,
    token_secret: str,
    expires_in: int,
    reason: str,
) -> None:
    settings = make_settings(database_url, rasa_url, shop_token_secret=secret_configured)
    async with gateway(settings) as http:
        response = await http.post(
            "/webhooks/rest/webhook",
            json={
                "sender": "web-2",
                "message": "Hallo",
                "metadata": {"customer_token": _token("NL-100234", token_secret, expires_in)},
            },
        )

    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert fake_rasa.requests == []
    with demo_sessions() as session:
        assert session.scalars(select(Message)).all() == []
        assert session.scalars(select(ChannelIdentity)).all() == []


async def test_a_verified_phone_number_links_and_an_unknown_one_does_not(
    demo_sessions: sessionmaker[Session], database_url: str, rasa_url: str, fake_rasa: FakeRasa
) -> None:
    app = create_app(make_settings(database_url, rasa_url))
    async with app.router.lifespan_context(app):
        for sender, phone in [
            ("whatsapp:+4915112345678", "whatsapp:+4915112345678"),
            ("whatsapp:+491700000000", "whatsapp:+491700000000"),
        ]:
            await app.state.router.handle(
                Inbound(
                    channel="whatsapp",
                    sender_id=sender,
                    text="Hallo",
                    identity=IdentityProof(via=VerifiedVia.WHATSAPP_NUMBER.value, phone=phone),
                )
            )

    assert [r["metadata"]["customer"] for r in fake_rasa.requests] == [ANNA, None]


async def test_an_unlinked_sender_is_not_verified(
    demo_sessions: sessionmaker[Session], http: httpx.AsyncClient, fake_rasa: FakeRasa
) -> None:
    await http.post("/webhooks/rest/webhook", json={"sender": "nobody", "message": "Hallo"})

    assert fake_rasa.requests[0]["metadata"]["customer"] is None
