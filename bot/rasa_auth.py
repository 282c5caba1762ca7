"""How our processes prove themselves to Rasa's HTTP API: a short-lived JWT in a header.

Rasa 3.6 takes its `--auth-token` only in the query string, and a URL ends up in
other programs' logs: nginx prints the request line, `?token=…` included, when
an upstream Rasa refuses a connection. So Rasa is started with RASA_TOKEN as
its JWT secret instead, and every call signs a token that lives a few minutes
and travels in the Authorization header, which nginx and Rasa do not log.
"""

from __future__ import annotations

import time

import jwt

ALGORITHM = "HS256"
LIFETIME_SECONDS = 300
CALLER = "nordlicht"


def rasa_auth_arguments(secret: str) -> list[str]:
    """`rasa run` options that put its HTTP API behind JWTs signed with `secret`."""
    # The `=` form keeps a secret that starts with "-" from reading as an option.
    return [f"--jwt-secret={secret}", "--jwt-method", ALGORITHM]


def rasa_auth_headers(secret: str) -> dict[str, str]:
    """Authorization for one call: Rasa's admin role, which its /status and /model/parse need."""
    claims = {
        "user": {"username": CALLER, "role": "admin"},
        "exp": int(time.time()) + LIFETIME_SECONDS,
    }
    return {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm=ALGORITHM)}"}
