"""ENVIRONMENT=production refuses to start while a secret is missing or left at an example value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from server.settings import Settings, is_example_secret

ROOT = Path(__file__).resolve().parents[2]
STRONG = "k7Qw9zR2vX4mN8pL3sT6yB1cF5hJ0dGa"
#: What a real production configuration looks like (WhatsApp on).
PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "engine_token": STRONG,
    "database_url": f"postgresql+psycopg://partenaires:{STRONG}@db.internal:5432/partenaires",
    "tracker_url": f"postgresql://rasa:{STRONG}x@db.internal:5432/tracker",
    "whatsapp_access_token": "EAAG" + STRONG,
    "whatsapp_phone_number_id": "106540352242922",
    "whatsapp_app_secret": "a3f" + STRONG,
    "whatsapp_verify_token": "v9" + STRONG,
    "whatsapp_hash_key": "h" + STRONG + STRONG,
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test gives: no variable of the developer's shell, no .env."""
    for name in list(os.environ):
        if name.startswith(("ENGINE_", "DATABASE_", "TRACKER_", "WHATSAPP_", "SMTP_", "REDIS_", "ENVIRONMENT")):
            monkeypatch.delenv(name)


def settings(**changes: Any) -> Settings:
    values = {**PRODUCTION, **changes}
    return Settings(_env_file=None, **{k: v for k, v in values.items() if v is not None})  # type: ignore[call-arg]


def refused(**changes: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        settings(**changes)
    text = str(caught.value)
    assert "ENVIRONMENT=production refuses to start" in text
    return text


def test_a_complete_production_configuration_starts() -> None:
    assert settings().environment == "production"
    # WhatsApp is optional: unset, its secrets are not asked for.
    unset = {key: None for key in PRODUCTION if key.startswith("whatsapp_")}
    assert settings(**unset).whatsapp_app_secret is None
    # SQLite has no password to check.
    assert settings(database_url="sqlite:///var/app.db", tracker_url="sqlite:///var/tracker.db")


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"engine_token": None}, "ENGINE_TOKEN is not set"),
        ({"engine_token": "test-token-0123456789abcdef"}, "ENGINE_TOKEN is left at an example value"),
        ({"engine_token": "changeme-changeme-changeme"}, "ENGINE_TOKEN is left at an example value"),
        ({"whatsapp_app_secret": None}, "WHATSAPP_APP_SECRET is not set"),
        ({"whatsapp_app_secret": "your-app-secret-example"}, "WHATSAPP_APP_SECRET is left at an example value"),
        ({"whatsapp_verify_token": "secret"}, "WHATSAPP_VERIFY_TOKEN is left at an example value"),
        ({"whatsapp_hash_key": "short-but-random-Zq81"}, "WHATSAPP_HASH_KEY must be at least 32 characters"),
        ({"database_url": "postgresql+psycopg://partenaires@db:5432/p"}, "DATABASE_URL has no password"),
        ({"database_url": "postgresql+psycopg://p:password@db:5432/p"}, "DATABASE_URL uses an example password"),
        ({"database_url": "postgresql+psycopg://p:changeme@db:5432/p"}, "DATABASE_URL uses an example password"),
        ({"database_url": "postgresql://p:example@db/p"}, "DATABASE_URL uses an example password"),
        ({"tracker_url": "postgresql://rasa:postgres@db/tracker"}, "TRACKER_URL uses an example password"),
        ({"smtp_password": "ChangeMe"}, "SMTP_PASSWORD is left at an example value"),
        ({"redis_url": "redis://:password@127.0.0.1:6379/0"}, "REDIS_URL uses an example password"),
    ],
)
def test_a_missing_or_example_secret_is_refused_naming_the_variable(changes: dict[str, Any], variable: str) -> None:
    assert variable in refused(**changes)


def test_every_problem_is_listed_at_once() -> None:
    text = refused(engine_token=None, database_url="postgresql://p@db/p", whatsapp_app_secret=None)
    for variable in ("ENGINE_TOKEN", "DATABASE_URL", "WHATSAPP_APP_SECRET"):
        assert variable in text


def test_the_secrets_never_appear_in_the_error() -> None:
    text = refused(database_url="postgresql://p:changeme@db/p", whatsapp_hash_key="short-but-random-Zq81")
    assert "short-but-random-Zq81" not in text and STRONG not in text


def test_development_accepts_what_production_refuses() -> None:
    weak = {"environment": "development", "engine_token": None, "database_url": "postgresql://p:password@db/p"}
    assert settings(**weak).environment == "development"


@pytest.mark.parametrize("value", ["password", "Password!", "change-me", "CHANGEME", "example.org-secret", "", None])
def test_example_values(value: str | None) -> None:
    assert is_example_secret(value)


def test_a_random_value_is_not_an_example() -> None:
    assert not is_example_secret(STRONG)


def test_the_server_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENGINE_", "DATABASE_", "WHATSAPP_"))}
    env.update(ENVIRONMENT="production", DATABASE_URL="postgresql+psycopg://partenaires@127.0.0.1:1/p")
    started = subprocess.run(
        [sys.executable, "-m", "uvicorn", "--factory", "server.main:create_app", "--port", "0"],
        cwd=tmp_path,  # no .env there
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode != 0
    assert "ENVIRONMENT=production refuses to start" in started.stderr
    assert "ENGINE_TOKEN is not set" in started.stderr and "DATABASE_URL has no password" in started.stderr
