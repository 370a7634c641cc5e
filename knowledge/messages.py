"""French messages of the front door (errors and notices), read from ``messages.yml``."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

MESSAGES_FILE = Path(__file__).resolve().parent / "messages.yml"


@functools.cache
def _messages() -> dict[str, str]:
    data = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) and v.strip() for v in data.values()):
        raise ValueError(f"{MESSAGES_FILE}: every message must be a non-empty string")
    return {str(k): v for k, v in data.items()}


def message(key: str, **values: Any) -> str:
    return _messages()[key].format(**values)
