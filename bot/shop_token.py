"""The shop's login token: how a website vouches that its logged-in visitor is a member.

The shop signs a JSON Web Token with HS256 and the secret in SHOP_TOKEN_SECRET:
`{"sub": "<member number>", "exp": <unix time>}`, valid for minutes, not days.
The chat passes it as `metadata.customer_token`; a valid token links the
conversation to that member without asking for the date of birth.
"""

from __future__ import annotations

import jwt

ALGORITHM = "HS256"
LEEWAY_SECONDS = 30


class InvalidShopTokenError(ValueError):
    """The token is forged, expired or lacks the member number."""


def member_number_from_token(token: str, *, secret: str) -> str:
    """The member number the shop vouches for; raises InvalidShopTokenError otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            leeway=LEEWAY_SECONDS,
            options={"require": ["sub", "exp"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidShopTokenError(str(error)) from error
    return str(claims["sub"])


def issue_token(member_number: str, *, secret: str, expires_at: int) -> str:
    """A token as the shop would issue it (for the demo page and the tests)."""
    return jwt.encode({"sub": member_number, "exp": expires_at}, secret, algorithm=ALGORITHM)
