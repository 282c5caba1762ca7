"""The benchmark's knobs, read from BENCH_* environment variables (all have defaults)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class BenchSettings(BaseSettings):
    """What to measure and for how long; without URLs the bench starts its own stack."""

    model_config = SettingsConfigDict(env_prefix="BENCH_", extra="ignore")

    gateway_url: str | None = None
    """BENCH_GATEWAY_URL: gateway base URL(s), comma-separated; unset starts an embedded stack."""
    rasa_url: str | None = None
    """BENCH_RASA_URL: Rasa base URL(s) of the same model, comma-separated (with the gateway)."""
    gateway_token: SecretStr | None = None
    """BENCH_GATEWAY_TOKEN: the deployment's REST_API_TOKEN, when its REST channel needs one."""
    pids: str | None = None
    """BENCH_PIDS: `rasa=123,actions=456,gateway=789` for memory figures of a deployment."""
    pid_dir: Path | None = None
    """BENCH_PID_DIR: a deployment's DATA_DIR/run (pid files), instead of BENCH_PIDS."""

    paced_users: int = 50
    """BENCH_PACED_USERS: concurrent conversations in the paced mode."""
    paced_interval_seconds: float = 5.0
    """BENCH_PACED_INTERVAL_SECONDS: pause between two messages of one conversation."""
    paced_seconds: float = 60.0
    """BENCH_PACED_SECONDS: paced load per path (gateway, Rasa), split over the rounds."""
    paced_messages: int | None = None
    """BENCH_PACED_MESSAGES: optional cap on paced messages per path (split over the rounds)."""
    saturation_levels: str = "1,10,50"
    """BENCH_SATURATION_LEVELS: concurrent back-to-back conversations, comma-separated."""
    saturation_seconds: float = 20.0
    """BENCH_SATURATION_SECONDS: per level and path, split over the rounds."""
    saturation_min_ratio: float = 0.9
    """BENCH_SATURATION_MIN_RATIO: saturation target, gateway over bare Rasa (1.6 for prod-local,
    whose two Rasa servers are measured against one of them)."""
    rounds: int = 2
    """BENCH_ROUNDS: alternations gateway/Rasa per mode (ABBA order, so drift cancels)."""
    leak_messages: int = 10_000
    """BENCH_LEAK_MESSAGES: messages of the long run through the gateway (0 skips it)."""
    leak_concurrency: int = 10
    """BENCH_LEAK_CONCURRENCY: concurrent conversations of the long run."""
    channel_seconds: float = 30.0
    """BENCH_CHANNEL_SECONDS: Telegram/Twilio webhook acknowledgement phase (0 skips it)."""
    channel_users: int = 25
    """BENCH_CHANNEL_USERS: paced conversations per channel in that phase."""
    timeout_seconds: float = 30.0
    """BENCH_TIMEOUT_SECONDS: a reply slower than this counts as a timeout."""
    startup_timeout_seconds: float = 300.0
    """BENCH_STARTUP_TIMEOUT_SECONDS: how long the embedded stack may take to become healthy."""
    warmup: bool = True
    """BENCH_WARMUP: send every script once per path before measuring (not counted)."""
    report_dir: Path = Path("reports/bench")
    """BENCH_REPORT_DIR: where report.json and summary.md go (git-ignored)."""

    @model_validator(mode="after")
    def _consistent(self) -> BenchSettings:
        if (self.gateway_url is None) != (self.rasa_url is None):
            raise ValueError(
                "set both BENCH_GATEWAY_URL and BENCH_RASA_URL (gateway/Rasa ratios need both), "
                "or neither to start an embedded stack"
            )
        if min(self.paced_users, self.rounds, self.leak_concurrency, self.channel_users) < 1:
            raise ValueError("users, rounds and concurrency must be at least 1")
        if self.paced_interval_seconds <= 0 or self.timeout_seconds <= 0:
            raise ValueError("intervals and timeouts must be positive")
        self.levels()  # fails here, by name, rather than after the stack started
        return self

    @property
    def external(self) -> bool:
        """True when measuring a running deployment instead of an embedded stack."""
        return self.gateway_url is not None

    def levels(self) -> list[int]:
        """The saturation concurrency levels."""
        try:
            levels = [int(part) for part in self.saturation_levels.split(",") if part.strip()]
        except ValueError as error:
            raise ValueError(f"BENCH_SATURATION_LEVELS: {error}") from error
        if any(level < 1 for level in levels):
            raise ValueError("BENCH_SATURATION_LEVELS must be positive integers")
        return levels

    def pid_map(self) -> dict[str, list[int]]:
        """BENCH_PIDS as name -> pids (a name may repeat, e.g. several Rasa servers)."""
        result: dict[str, list[int]] = {}
        for part in (self.pids or "").split(","):
            if not part.strip():
                continue
            name, sep, pid = part.partition("=")
            if not sep or not pid.strip().isdigit():
                raise ValueError(f"BENCH_PIDS: expected name=pid, got {part!r}")
            result.setdefault(name.strip(), []).append(int(pid))
        return result


def split_urls(value: str) -> list[str]:
    """Comma-separated URLs, stripped of blanks and trailing slashes."""
    return [url.strip().rstrip("/") for url in value.split(",") if url.strip()]
