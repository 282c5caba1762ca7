"""The shop's login token names a member only when signed with the shop's secret and fresh."""

from __future__ import annotations

import time

import pytest

from bot.shop_token import InvalidShopTokenError, issue_token, member_number_from_token

SECRET = "shop-secret-for-tests-only-32-bytes!"


def test_a_fresh_token_names_the_member() -> None:
    token = issue_token("NL-100234", secret=SECRET, expires_at=int(time.time()) + 300)
    assert member_number_from_token(token, secret=SECRET) == "NL-100234"


@pytest.mark.parametrize(
    ("token_secret", "expires_in", "reason"),
    [
        ("someone-elses-secret-of-32-bytes!!", 300, "Signature verification failed"),
        (SECRET, -120, "expired"),
    ],
)
def test_forged_or_expired_tokens_are_refused(
    token_secret: str, expires_in: int, reason: str
) -> None:
    token = issue_token("NL-100234", secret=token_secret, expires_at=int(time.time()) + expires_in)
    with pytest.raises(InvalidShopTokenError, match=reason):
        member_number_from_token(token, secret=SECRET)


def test_a_token_without_expiry_is_refused() -> None:
    import jwt

    token = jwt.encode({"sub": "NL-100234"}, SECRET, algorithm="HS256")
    with pytest.raises(InvalidShopTokenError, match="exp"):
        member_number_from_token(token, secret=SECRET)
