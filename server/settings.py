"""Settings from the environment (and an optional ``.env``), via pydantic-settings."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from limits import parse as parse_rate_limit
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from store.settings import ROOT as ROOT
from store.settings import StoreSettings, absolute_sqlite, env_file

VAR_DIR = ROOT / "var"


class _Group(BaseSettings):
    #: hide_input_in_errors: an error at start never prints the values (secrets) it was given.
    model_config = SettingsConfigDict(env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True)


class EngineSettings(_Group):
    """The engine (Rasa) and the action server: where they listen, how the front door reaches them."""

    #: Rasa's SQL tracker store (SQLAlchemy 1.4 URL, used by the engine).
    tracker_url: str = "sqlite:///var/tracker.db"

    engine_url: str = "http://127.0.0.1:5005"
    #: Several engine instances (JSON list of base URLs); empty: ENGINE_URL alone.  Each session goes
    #: to one of them by a stable hash of its id, and to another when that one is down.
    engine_urls: list[str] = Field(default_factory=list)
    engine_port: int = Field(default=5005, ge=1, le=65535)
    #: How many engines the launcher starts, on ENGINE_PORT, ENGINE_PORT + 1, …
    engine_instances: int = Field(default=1, ge=1, le=16)
    #: Redis (redis://[:password@]host:port/db): Rasa's lock store, shared by the engine instances.
    redis_url: SecretStr | None = None
    #: Shared secret between the front door and the engine's private channel.
    engine_token: SecretStr | None = None
    engine_timeout_s: float = Field(default=30.0, gt=0)

    action_server_url: str = "http://127.0.0.1:5055"
    action_port: int = Field(default=5055, ge=1, le=65535)

    #: The engine's environment (Python 3.10, Rasa), used by the launcher.
    engine_venv: Path = ROOT / ".venv-engine"


class SmtpSettings(_Group):
    """The tickets' e-mails (server/notify.py)."""

    #: SMTP server that receives the tickets' e-mails; unset (development): they wait in the outbox.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    #: STARTTLS on a plain connection (port 587), or TLS from the start (port 465).
    smtp_starttls: bool = True
    smtp_tls: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "partenaires-sante@hopital.example"
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    smtp_retry_base_s: float = Field(default=30.0, gt=0)
    smtp_retry_max_s: float = Field(default=3600.0, gt=0)
    smtp_attempts_before_failure: int = Field(default=5, ge=1)
    outbox_poll_s: float = Field(default=10.0, gt=0)


class WhatsAppSettings(_Group):
    """The WhatsApp channel (server/channels/whatsapp.py)."""

    #: WhatsApp Business Cloud API (server/channels/whatsapp.py).  The channel is off, its
    #: webhook answering 404, until the token, number id, app secret, verify token and hash key are set.
    whatsapp_base_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "v21.0"
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    #: Key of the HMAC that replaces the sender's number (session id, stored rows).
    whatsapp_hash_key: SecretStr | None = None
    whatsapp_timeout_s: float = Field(default=10.0, gt=0)
    whatsapp_retry_base_s: float = Field(default=5.0, gt=0)
    whatsapp_retry_max_s: float = Field(default=300.0, gt=0)
    whatsapp_attempts_before_failure: int = Field(default=5, ge=1)
    whatsapp_poll_s: float = Field(default=10.0, gt=0)


class RateLimitSettings(_Group):
    """The chat's rate limits (server/ratelimit.py)."""

    #: Rate limits (server/ratelimit.py), as "N/minute", "N/hour"…: messages per conversation,
    #: messages per client (IP address; WhatsApp: the sender), registrations and tickets per client.
    rate_limits_enabled: bool = True
    rate_limit_session: str = "30/minute"
    rate_limit_client: str = "120/minute"
    rate_limit_submissions: str = "5/hour"
    #: (REDIS_URL, above, when set: the rate limits are shared by every worker through Redis;
    #: unset: kept in memory, per process.)


class RetentionSettings(_Group):
    """How long data is kept (server/purge.py)."""

    #: Retention (server/purge.py): conversations (tracker events, chat sessions, unanswered
    #: messages, ratings) older than this many days are deleted; closed tickets after
    #: ``ticket_retention_days`` from their closing.  Registrations stay until withdrawn.
    retention_days: int = Field(default=30, ge=1)
    ticket_retention_days: int = Field(default=365, ge=1)
    #: The purge runs in the server this often (hours; 0: never, use `make purge`), the first
    #: time ``retention_start_delay_s`` after the start.
    retention_interval_h: float = Field(default=24.0, ge=0)
    retention_start_delay_s: float = Field(default=300.0, ge=0)


class Settings(RetentionSettings, RateLimitSettings, WhatsAppSettings, SmtpSettings, EngineSettings, StoreSettings):
    """The front door's settings: the store's (``DATABASE_URL``, pool sizes) and the groups above, flat.

    Each group is a class of its own; the variable names are those of its fields
    (``SMTP_HOST``…).  ``get_settings`` reads the environment and the ``.env``
    (``store.settings.env_file``); ``Settings(...)`` built directly reads the environment only.
    """

    model_config = SettingsConfigDict(env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True)

    environment: Literal["development", "test", "production"] = "development"

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    max_message_chars: int = Field(default=1000, ge=1)

    #: Sites allowed to embed the widget (origins, e.g. ["https://www.chru-nancy.fr"]);
    #: empty: only pages served by the front door itself.
    webchat_allowed_origins: list[str] = Field(default_factory=list)

    #: Sites allowed to show the front door's pages in a frame (CSP ``frame-ancestors`` sources,
    #: space-separated, e.g. "'self' https://www.hopital.example").  See server/security.py.
    frame_ancestors: str = "'self'"

    @field_validator("tracker_url")
    @classmethod
    def _resolve_tracker_sqlite(cls, value: str) -> str:
        return absolute_sqlite(value)

    @field_validator(
        "smtp_host",
        "redis_url",
        "smtp_user",
        "smtp_password",
        "whatsapp_access_token",
        "whatsapp_phone_number_id",
        "whatsapp_app_secret",
        "whatsapp_verify_token",
        "whatsapp_hash_key",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("rate_limit_session", "rate_limit_client", "rate_limit_submissions")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            parse_rate_limit(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a rate limit such as '30/minute' or '5/hour'") from exc
        return value

    @field_validator("frame_ancestors")
    @classmethod
    def _one_directive(cls, value: str) -> str:
        if not value.strip() or any(c in value for c in ";,\r\n"):
            raise ValueError("FRAME_ANCESTORS is a space-separated list of CSP sources, e.g. \"'self'\"")
        return " ".join(value.split())

    @model_validator(mode="after")
    def _production_secrets(self) -> Settings:
        """In production, refuse to start while a secret is missing or left at an example value."""
        if self.environment == "production":
            problems = production_problems(self)
            if problems:
                raise ValueError("ENVIRONMENT=production refuses to start: " + "; ".join(problems))
        return self

    @field_validator("engine_token")
    @classmethod
    def _no_weak_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("ENGINE_TOKEN must be at least 16 characters (or unset)")
        return value

    def engine_instance_urls(self) -> list[str]:
        """The engines the front door talks to: ENGINE_URLS, or ENGINE_URL alone."""
        return list(self.engine_urls) or [self.engine_url]

    def require_engine_token(self) -> str:
        if self.engine_token is None:
            raise RuntimeError(
                "ENGINE_TOKEN is not set: start the assistant with `make run`, "
                "or set ENGINE_TOKEN (16+ characters) for the engine and the server."
            )
        return self.engine_token.get_secret_value()


#: Values that are examples or defaults, never secrets (compared lower-cased, without punctuation).
EXAMPLE_SECRETS = frozenset(
    {
        "",
        "password",
        "motdepasse",
        "changeme",
        "changeit",
        "secret",
        "example",
        "admin",
        "postgres",
        "partenaires",
        "root",
        "test",
        "default",
        "123456",
        "12345678",
        "letmein",
        "testtoken0123456789abcdef",
    }
)
#: A value containing one of these is an example too.
EXAMPLE_MARKERS = ("changeme", "example", "placeholder", "xxxx", "todo", "replaceme")


def is_example_secret(value: str | None) -> bool:
    if value is None:
        return True
    bare = "".join(c for c in value.lower() if c.isalnum())
    return bare in EXAMPLE_SECRETS or any(marker in bare for marker in EXAMPLE_MARKERS)


def _database_password_problem(variable: str, url: str) -> str | None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"{variable} is not a database URL"
    if not parsed.drivername.startswith("postgres"):
        return None
    if not parsed.password:
        return f"{variable} has no password (PostgreSQL)"
    if is_example_secret(str(parsed.password)):
        return f"{variable} uses an example password"
    return None


def production_problems(settings: Settings) -> list[str]:
    """What keeps ``settings`` from being used in production, each naming its variable."""
    problems: list[str] = []

    def secret(variable: str, value: SecretStr | None, min_length: int = 16) -> None:
        plain = value.get_secret_value() if value is not None else None
        if plain is None:
            problems.append(f"{variable} is not set")
        elif is_example_secret(plain):
            problems.append(f"{variable} is left at an example value")
        elif len(plain) < min_length:
            problems.append(f"{variable} must be at least {min_length} characters")

    # Staff sessions are random tokens stored hashed in the database: no signing key to check.
    secret("ENGINE_TOKEN", settings.engine_token)
    whatsapp = (
        settings.whatsapp_access_token,
        settings.whatsapp_phone_number_id,
        settings.whatsapp_app_secret,
        settings.whatsapp_verify_token,
        settings.whatsapp_hash_key,
    )
    if any(value is not None for value in whatsapp):  # WhatsApp is (being) configured
        secret("WHATSAPP_APP_SECRET", settings.whatsapp_app_secret)
        secret("WHATSAPP_VERIFY_TOKEN", settings.whatsapp_verify_token)
        secret("WHATSAPP_HASH_KEY", settings.whatsapp_hash_key, min_length=32)
        secret("WHATSAPP_ACCESS_TOKEN", settings.whatsapp_access_token)
    if settings.smtp_password is not None and is_example_secret(settings.smtp_password.get_secret_value()):
        problems.append("SMTP_PASSWORD is left at an example value")
    for variable, url in (("DATABASE_URL", settings.database_url), ("TRACKER_URL", settings.tracker_url)):
        problem = _database_password_problem(variable, url)
        if problem:
            problems.append(problem)
    if settings.redis_url is not None:
        try:
            redis_password = make_url(settings.redis_url.get_secret_value()).password
        except ArgumentError:
            redis_password = None
        if redis_password is not None and is_example_secret(str(redis_password)):
            problems.append("REDIS_URL uses an example password")
    return problems


@functools.cache
def get_settings() -> Settings:
    return Settings(_env_file=env_file())
