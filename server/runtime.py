"""What the three processes need to find each other: commands and environment."""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from server.settings import ROOT, VAR_DIR, Settings

ENGINE_VENV = Path(os.environ.get("ENGINE_VENV", ROOT / ".venv-engine"))
MODELS_DIR = ROOT / "models"


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]
    commands: dict[str, str]
    url: str


def build_stack(settings: Settings) -> Stack:
    token = settings.engine_token.get_secret_value() if settings.engine_token else secrets.token_urlsafe(32)
    engine_url = f"http://127.0.0.1:{settings.engine_port}"
    action_url = f"http://127.0.0.1:{settings.action_port}"
    env = dict(os.environ)
    env.update(
        {
            "ENGINE_TOKEN": token,
            "ENGINE_URL": engine_url,
            "ACTION_SERVER_URL": action_url,
            "ACTION_ENDPOINT_URL": f"{action_url}/webhook",
            "DATABASE_URL": settings.database_url,
            "TRACKER_URL": settings.tracker_url,
            "PYTHONPATH": str(ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "SANIC_HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    engine_python = ENGINE_VENV / "bin" / "python"
    commands = {
        "engine": (
            f"exec {engine_python} -m rasa run --model {MODELS_DIR} --endpoints bot/endpoints.yml "
            f"--credentials bot/credentials.yml --interface 127.0.0.1 --port {settings.engine_port}"
        ),
        "actions": f"exec {sys.executable} -m rasa_sdk --actions actions --port {settings.action_port}",
        "web": (
            f"exec {sys.executable} -m uvicorn --factory server.main:create_app "
            f"--host {settings.host} --port {settings.port} --no-access-log"
        ),
    }
    return Stack(env=env, commands=commands, url=f"http://{settings.host}:{settings.port}/")


def prepare_dirs() -> None:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
