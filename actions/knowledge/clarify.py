"""``action_clarify``: on an uncertain understanding, ask "Vouliez-vous dire…" with the best candidates.

Asking is kept for topics that are really close:

- a single candidate the message names explicitly (its title or an alias, e.g. « patient-partenaire »,
  « ma plainte ») is answered at once;
- a story that may be about a bad experience is always offered the complaint route;
- requests without a knowledge topic (thanks for the staff, talking to an RU) are offered too;
- « Autre chose » always stays, and the question says the message can be reformulated.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge.answer import answer
from actions.knowledge.roles import normalise
from actions.routage.offer import capitalised
from contract import Intent
from knowledge.annuaire import get_directory
from knowledge.loader import get_knowledge
from knowledge.messages import message
from knowledge.schema import Entry

MAX_CANDIDATES = 3
#: Below this confidence a candidate is not worth offering; with none left, the
#: fallback says what the assistant can do.  Tuned on the held-out set
#: (scripts/tune_thresholds.py), not by hand.
MIN_CANDIDATE_CONFIDENCE = 0.1
#: A story about a bad experience gets the complaint route when one of these intents
#: is ranked at least this high, even if it is not among the best candidates.
COMPLAINT_INTENTS = ("situation_mauvaise_experience", "droit_reclamation")
COMPLAINT_ENTRY = "situation.mauvaise_experience"
MIN_COMPLAINT_CONFIDENCE = 0.05
#: Never offered as a button: an emergency is answered at once or not at all (EmergencyGuard),
#: and neither medical advice nor distress is a topic to pick from a menu.
NEVER_OFFERED = ("hors_sujet", "soutien_detresse")
EMERGENCY_PREFIX = Intent.EMERGENCY


def offerable(intent: str) -> bool:
    return intent not in NEVER_OFFERED and intent != EMERGENCY_PREFIX and not intent.startswith(EMERGENCY_PREFIX + "_")


def ranking(tracker: Tracker) -> list[tuple[str, float]]:
    return [
        (str(r.get("name")), float(r.get("confidence") or 0))
        for r in (tracker.latest_message or {}).get("intent_ranking") or []
        if r.get("name")
    ]


def request_titles() -> dict[str, str]:
    """Intents of the requests without a knowledge topic (thanks, an RU) -> their button title."""
    return {
        intent: capitalised(request.label)
        for request in get_directory().requests.values()
        for intent in request.intents
    }


#: « Autre chose » already leads there: never a candidate of its own.
OTHER = "bot_capacites"


def candidates(tracker: Tracker) -> list[tuple[str, str]]:
    """(intent, title) of the best knowledge topics and requests, most likely first."""
    kb = get_knowledge()
    requests = request_titles()
    found: list[tuple[str, str]] = []
    for name, confidence in ranking(tracker):
        if confidence < MIN_CANDIDATE_CONFIDENCE or not offerable(name) or name == OTHER:
            continue
        entry = kb.for_intent(name)
        title = entry.title if entry is not None else requests.get(name)
        if title is None:
            continue
        found.append((name, title))
        if len(found) == MAX_CANDIDATES:
            break
    return found


def named_in_text(text: str, entries: list[Entry]) -> list[Entry]:
    """The entries among ``entries`` whose title or an alias is written in ``text``.

    Longest names win, and a stretch of text names one entry at most (« pair aidant »
    is the pair-aidant, not the « aidant »).
    """
    plain = normalise(text)
    names = sorted(
        {(normalise(name), entry.id) for entry in entries for name in (entry.title, *entry.aliases)},
        key=lambda item: (-len(item[0]), item),
    )
    taken: list[tuple[int, int]] = []
    found: list[str] = []
    for name, entry_id in names:
        if not name:
            continue
        for match in re.finditer(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", plain):
            start, end = match.span()
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            taken.append((start, end))
            if entry_id not in found:
                found.append(entry_id)
    by_id = {entry.id: entry for entry in entries}
    return [by_id[entry_id] for entry_id in found]


def complaint_button(tracker: Tracker, offered: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The complaint route, for a story that may be about a bad experience and was not offered it."""
    if any(intent in COMPLAINT_INTENTS for intent, _ in offered):
        return []
    scores = dict(ranking(tracker))
    if max((scores.get(intent, 0.0) for intent in COMPLAINT_INTENTS), default=0.0) < MIN_COMPLAINT_CONFIDENCE:
        return []
    entry = get_knowledge().get(COMPLAINT_ENTRY)
    if entry is None:
        return []
    return [(COMPLAINT_INTENTS[0], entry.title)]


class ActionClarify(Action):
    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        options = candidates(tracker)
        kb = get_knowledge()
        entries = [entry for intent, _ in options if (entry := kb.for_intent(intent)) is not None]
        named = named_in_text(str((tracker.latest_message or {}).get("text") or ""), entries)
        if len(named) == 1:
            return answer(dispatcher, tracker, named[0])
        options += complaint_button(tracker, options)
        if not options:
            dispatcher.utter_message(text=message("fallback"))
            return [SlotSet("topic", None)]
        buttons = [{"title": title, "payload": f"/{intent}"} for intent, title in options]
        buttons.append({"title": message("clarify_other"), "payload": f"/{OTHER}"})
        dispatcher.utter_message(text=message("clarify"), buttons=buttons)
        return [SlotSet("topic", None)]
