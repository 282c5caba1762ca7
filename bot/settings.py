"""Process configuration read from the environment, with documented defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

RasaSecret = Annotated[SecretStr, Field(min_length=32)]
"""Rasa's API secret signs HS256 tokens (bot/rasa_auth.py), which want a key of 32 bytes."""


class DatabaseSettings(BaseSettings):
    """Where the business database lives; shared by the gateway, actions and CLI."""

    model_config = SettingsConfigDict(extra="ignore")

    data_dir: Path = Path("var")
    """DATA_DIR: folder for the embedded SQLite databases and logs."""
    database_url: str | None = None
    """DATABASE_URL: SQLAlchemy URL of the business database; SQLite in DATA_DIR when unset."""

    @property
    def effective_database_url(self) -> str:
        """DATABASE_URL, or the embedded SQLite file under DATA_DIR."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'nordlicht.sqlite'}"


class RedisSettings(BaseSettings):
    """Redis for several processes: the gateways coordinate, Rasa keeps its conversation locks."""

    model_config = SettingsConfigDict(extra="ignore")

    redis_url: str | None = None
    """REDIS_URL: e.g. `redis://:password@host:6379/0`; unset means one gateway process that
    coordinates in memory and a Rasa server with its in-memory lock store."""
    redis_key_prefix: str = Field(default="nordlicht", pattern="^[A-Za-z0-9]+$")
    """REDIS_KEY_PREFIX: starts every Redis key and channel of this deployment (letters and
    digits only, as Rasa's lock store requires), so several deployments can share one Redis."""


class StackSettings(DatabaseSettings, RedisSettings):
    """Ports and secrets of the three processes; every value has a working default."""

    host: str = "127.0.0.1"
    """HOST: interface of the gateway (Rasa and the action server always use loopback)."""
    port: int = 8000
    """PORT: the gateway's port."""
    rasa_port: int = 5005
    """RASA_PORT: the Rasa server's port (loopback only)."""
    action_server_port: int = 5055
    """ACTION_SERVER_PORT: the action server's port (loopback only)."""
    rasa_token: RasaSecret | None = None
    """RASA_TOKEN: secret of Rasa's HTTP API (32 characters or more); random for each start
    when unset."""
    rasa_tracker_store_url: str | None = None
    """RASA_TRACKER_STORE_URL: Rasa's tracker store (default: DATABASE_URL's server or SQLite)."""
    restart_delay_seconds: float = 5.0
    """RESTART_DELAY_SECONDS: pause before a crashed process is started again."""
    rasa_nice: int = Field(default=5, ge=0, le=19)
    """RASA_NICE: how much the Rasa servers yield the CPU to the gateways (0 = not at all),
    so webhooks are acknowledged at once while Rasa is busy answering."""

    def tracker_store_url(self) -> str:
        """Rasa's tracker store: explicit, else the business PostgreSQL, else SQLite."""
        if self.rasa_tracker_store_url:
            return self.rasa_tracker_store_url
        url = make_url(self.effective_database_url)
        if url.get_backend_name() == "postgresql":
            # Rasa's own environment talks to PostgreSQL through psycopg2.
            return url.set(drivername="postgresql").render_as_string(hide_password=False)
        return f"sqlite:///{(self.data_dir / 'rasa-tracker.sqlite').resolve()}"


class FeedbackSettings(BaseSettings):
    """What the assistant offers around ratings; read by the action server."""

    model_config = SettingsConfigDict(extra="ignore")

    review_url: str = "https://www.nordlicht.example/bewertungen"
    """REVIEW_URL: where customers who would recommend the shop (NPS 9–10) can write a review."""


class TelegramSettings(BaseSettings):
    """The Telegram bot; read by the gateway and by `python -m bot telegram`."""

    model_config = SettingsConfigDict(extra="ignore")

    telegram_bot_token: SecretStr | None = None
    """TELEGRAM_BOT_TOKEN: the bot's token from @BotFather; unset disables Telegram."""
    telegram_webhook_secret: SecretStr | None = None
    """TELEGRAM_WEBHOOK_SECRET: token Telegram sends with every webhook (A-Z a-z 0-9 _ -)."""
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    """TELEGRAM_MODE: `webhook` (production) or `polling` (local development)."""
    telegram_api_url: str = "https://api.telegram.org/bot"
    """TELEGRAM_API_URL: Bot API base URL (the token is appended); tests point it at a fake."""
    public_base_url: str | None = None
    """PUBLIC_BASE_URL: the gateway's public https URL, for registering webhooks."""


class GatewaySettings(DatabaseSettings, TelegramSettings, RedisSettings):
    """Everything the gateway (bot/app.py) needs; RASA_TOKEN is required."""

    host: str = "127.0.0.1"
    """HOST: interface the gateway listens on."""
    port: int = 8000
    """PORT: the gateway's port."""
    rasa_url: str = "http://127.0.0.1:5005"
    """RASA_URL: base URL of the Rasa server."""
    rasa_token: RasaSecret
    """RASA_TOKEN: secret of Rasa's HTTP API (32 characters or more): Rasa is started with it
    as its JWT secret, and the gateway signs its calls with it (bot/rasa_auth.py)."""
    rasa_timeout_seconds: float = 30.0
    """RASA_TIMEOUT_SECONDS: how long one message may take before the customer gets an apology."""
    action_server_url: str = "http://127.0.0.1:5055"
    """ACTION_SERVER_URL: base URL of the action server (for /health)."""
    rest_api_token: SecretStr | None = None
    """REST_API_TOKEN: bearer token for the REST channel; unset means loopback clients only."""
    shop_token_secret: SecretStr | None = None
    """SHOP_TOKEN_SECRET: HS256 secret of the shop's customer login tokens; unset disables them."""
    domain_path: Path = Path("domain")
    """DOMAIN_PATH: Rasa domain file or folder, for the gateway's own replies (apologies)."""
    nlu_data_dir: Path = Path("data/nlu")
    """NLU_DATA_DIR: per-language NLU data (de/, en/) the language detector learns from."""
    twilio_account_sid: str | None = None
    """TWILIO_ACCOUNT_SID: the Twilio account (AC…); WhatsApp is off without it."""
    twilio_auth_token: SecretStr | None = None
    """TWILIO_AUTH_TOKEN: signs Twilio's webhooks and authenticates the Messages API."""
    twilio_whatsapp_from: str | None = None
    """TWILIO_WHATSAPP_FROM: the shop's WhatsApp sender, e.g. `whatsapp:+14155238886`."""
    twilio_api_url: str = "https://api.twilio.com"
    """TWILIO_API_URL: base URL of Twilio's REST API; tests point it at a fake."""
    twilio_template_content_sid: str | None = None
    """TWILIO_TEMPLATE_CONTENT_SID: approved template (HX…) for replies after WhatsApp's 24 h."""
    widget_session_secret: SecretStr | None = None
    """WIDGET_SESSION_SECRET: signs widget session ids; set it when several gateways run."""
    console_secret_key: SecretStr | None = None
    """CONSOLE_SECRET_KEY: signs console login cookies; unset means logins end with a restart."""
    console_https_only: bool = False
    """CONSOLE_HTTPS_ONLY: send the console cookie over https only (set it in production)."""
    handoff_escalate_minutes: float = 10
    """HANDOFF_ESCALATE_MINUTES: after this wait a handoff is highlighted and the customer
    is told once that they have not been forgotten."""
    recovery_interval_seconds: float = 10.0
    """RECOVERY_INTERVAL_SECONDS: how often each gateway looks for messages to answer late
    (the customer got an apology because Rasa, the action server or Redis was down)."""
    recovery_max_age_minutes: float = 60.0
    """RECOVERY_MAX_AGE_MINUTES: older messages are not answered late any more."""
    recovery_max_attempts: int = 5
    """RECOVERY_MAX_ATTEMPTS: how often a message is tried again before it is left to people."""
    default_language: str = "de"
    """DEFAULT_LANGUAGE: language of a new conversation until the customer writes otherwise."""
