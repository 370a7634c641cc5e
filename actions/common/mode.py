"""Who is asking: a patient (full answers) or staff (short definitions)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker

STAFF = "staff"
PATIENT = "patient"

# "déf patient ressource", "définition RU", "def. CDU": a terse definition query.
_TERSE_DEFINITION = re.compile(r"^\s*(d[ée]f(inition)?s?\b|d[ée]f\.)", re.IGNORECASE)


def message_metadata(tracker: Tracker) -> dict[str, Any]:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return metadata if isinstance(metadata, dict) else {}


def wants_short_answer(tracker: Tracker) -> bool:
    """Staff mode, or a terse definition query, gets the short answer."""
    if message_metadata(tracker).get("mode") == STAFF:
        return True
    text = (tracker.latest_message or {}).get("text") or ""
    return bool(_TERSE_DEFINITION.match(text))
