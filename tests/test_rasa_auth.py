"""Calls to Rasa's API carry a short-lived signed token in a header, never the secret in a URL."""

from __future__ import annotations

import time

import jwt
import pytest
from pydantic import ValidationError

from bot.rasa_auth import LIFETIME_SECONDS, rasa_auth_arguments, rasa_auth_headers
from bot.settings import GatewaySettings

SECRET = "-a-secret-that-starts-with-a-dash-and-is-long"


def test_headers_carry_an_admin_token_signed_with_the_secret_that_expires() -> None:
    scheme, _, token = rasa_auth_headers(SECRET)["Authorization"].partition(" ")
    assert scheme == "Bearer" and SECRET not in token
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["user"]["role"] == "admin"
    assert 0 < claims["exp"] - time.time() <= LIFETIME_SECONDS
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-that-is-long-enough-for-it", algorithms=["HS256"])


def test_rasa_takes_the_secret_as_one_argument_even_when_it_starts_with_a_dash() -> None:
    assert rasa_auth_arguments(SECRET) == [f"--jwt-secret={SECRET}", "--jwt-method", "HS256"]


def test_a_short_rasa_secret_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_TOKEN", "too-short")
    with pytest.raises(ValidationError, match="rasa_token"):
        GatewaySettings()
