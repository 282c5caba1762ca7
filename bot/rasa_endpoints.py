"""Rasa's endpoints file: the project's endpoints.yml, plus a Redis lock store with REDIS_URL.

Rasa keeps a lock per conversation so that two of its workers or processes never
handle one conversation at once; the default in-memory lock store only works in
one process. Rasa 3.6's Redis lock store takes the host as `url` and the rest as
separate keys (port, db, username, password, use_ssl, key_prefix), so REDIS_URL is
taken apart here. The password stays out of the file: Rasa reads it from the
environment variable PASSWORD_VARIABLE when it expands `${...}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

PROJECT_ENDPOINTS = Path("endpoints.yml")
PASSWORD_VARIABLE = "RASA_LOCK_STORE_PASSWORD"


def endpoints_path(data_dir: Path, redis_url: str | None) -> Path:
    """The file Rasa is started with: the project's own, or the one written with a lock store."""
    return PROJECT_ENDPOINTS if redis_url is None else data_dir / "run" / "rasa-endpoints.yml"


@dataclass(frozen=True)
class RedisAddress:
    """REDIS_URL taken apart as redis-py reads it: redis:// or rediss:// (TLS)."""

    host: str
    port: int
    db: int
    username: str | None
    password: str | None
    use_ssl: bool

    @classmethod
    def from_url(cls, url: str) -> RedisAddress:
        """Raises ValueError for anything but redis:// and rediss:// (e.g. a unix socket)."""
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError(f"Rasa's Redis lock store needs redis:// or rediss://, not {url!r}")
        db = parts.path.lstrip("/") or parse_qs(parts.query).get("db", ["0"])[0]
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            db=int(db),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_ssl=parts.scheme == "rediss",
        )


def lock_store_section(redis_url: str, key_prefix: str) -> str:
    """The `lock_store:` YAML block for REDIS_URL."""
    address = RedisAddress.from_url(redis_url)
    lines = [
        "lock_store:",
        "  type: redis",
        f"  url: {address.host}",
        f"  port: {address.port}",
        f"  db: {address.db}",
        f"  key_prefix: {key_prefix}",
        f"  use_ssl: {'true' if address.use_ssl else 'false'}",
    ]
    if address.username:
        lines.append(f"  username: {address.username}")
    if address.password:
        # Unquoted: Rasa expands environment variables in plain scalars only.
        lines.append(f"  password: ${{{PASSWORD_VARIABLE}}}")
    return "\n".join(lines) + "\n"


def lock_store_environment(redis_url: str | None) -> dict[str, str]:
    """What Rasa's environment needs for the lock store (the Redis password, if any)."""
    if redis_url is None:
        return {}
    password = RedisAddress.from_url(redis_url).password
    return {PASSWORD_VARIABLE: password} if password else {}


def write_endpoints(project: Path, data_dir: Path, redis_url: str | None, key_prefix: str) -> None:
    """Write the endpoints file with the lock store when REDIS_URL is set."""
    if redis_url is None:
        return
    target = endpoints_path(data_dir, redis_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    base = (project / PROJECT_ENDPOINTS).read_text(encoding="utf-8")
    target.write_text(
        f"{base.rstrip()}\n\n# Added by the stack runner because REDIS_URL is set.\n"
        + lock_store_section(redis_url, key_prefix),
        encoding="utf-8",
    )
