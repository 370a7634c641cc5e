"""Settings from the environment (and an optional ``.env``), via pydantic-settings."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"


def _absolute_sqlite(url: str) -> str:
    """``sqlite:///var/app.db`` is relative to the project root, not to the cwd."""
    prefix, sep, path = url.partition(":///")
    if not sep or not prefix.startswith("sqlite") or path.startswith("/") or path == ":memory:":
        return url
    return f"{prefix}:///{(ROOT / path).as_posix()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ROOT / ".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    #: The application database (SQLAlchemy URL); PostgreSQL with postgresql+psycopg://.
    database_url: str = "sqlite:///var/app.db"
    #: Rasa's SQL tracker store (SQLAlchemy 1.4 URL, used by the engine).
    tracker_url: str = "sqlite:///var/tracker.db"

    engine_url: str = "http://127.0.0.1:5005"
    engine_port: int = Field(default=5005, ge=1, le=65535)
    #: Shared secret between the front door and the engine's private channel.
    engine_token: SecretStr | None = None
    engine_timeout_s: float = Field(default=30.0, gt=0)

    action_server_url: str = "http://127.0.0.1:5055"
    action_port: int = Field(default=5055, ge=1, le=65535)

    max_message_chars: int = Field(default=1000, ge=1)

    #: Sites allowed to embed the widget (origins, e.g. ["https://www.chru-nancy.fr"]);
    #: empty: only pages served by the front door itself.
    webchat_allowed_origins: list[str] = Field(default_factory=list)

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

    @field_validator("database_url", "tracker_url")
    @classmethod
    def _resolve_sqlite(cls, value: str) -> str:
        return _absolute_sqlite(value)

    @field_validator(
        "smtp_host",
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

    @field_validator("engine_token")
    @classmethod
    def _no_weak_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("ENGINE_TOKEN must be at least 16 characters (or unset)")
        return value

    def require_engine_token(self) -> str:
        if self.engine_token is None:
            raise RuntimeError(
                "ENGINE_TOKEN is not set: start the assistant with `make run`, "
                "or set ENGINE_TOKEN (16+ characters) for the engine and the server."
            )
        return self.engine_token.get_secret_value()


@functools.cache
def get_settings() -> Settings:
    return Settings()
