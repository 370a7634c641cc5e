"""What the knowledge actions need to know about forms: resume the one a question interrupted."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction

from contract import Form

#: Forms that a question may interrupt; they resume where they were once it is answered.
RESUMABLE_FORMS = frozenset({Form.INSCRIPTION, Form.ORIENTATION, Form.RETRAIT, Form.TRANSMISSION})


def resume_form(tracker: Tracker) -> list[EventType]:
    """After answering a question asked in the middle of a form, ask the form's question again."""
    name = tracker.active_loop_name
    if name in RESUMABLE_FORMS:
        return [FollowupAction(name)]
    return []
