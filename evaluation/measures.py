"""What a user feels on one message: answered right at once, right within one click, or answered wrong.

A message is sent as a fresh conversation; the chat API's answer is read as:

- ``topic``: the knowledge entry it is about (``None`` for a clarification, small talk or a route
  without a topic, e.g. thanks for the staff);
- ``route``: the service a request goes to; ``form``: the form it started;
- ``buttons``: the intents its buttons would send (``/droit_reclamation`` -> ``droit_reclamation``).

Verdicts, from best to worst for the user:

- ``right``: a topic that counts, or, with no topic, a route or a form that counts;
- ``click``: no answer, but a clarification whose buttons include one that counts;
- ``miss``: a clarification without the right choice, or the fallback;
- ``wrong``: a topic, route or form stated that does not count: worse than asking.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from contract import Intent
from knowledge.annuaire import get_directory
from knowledge.schema import intent_for

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "data" / "rules"

Verdict = Literal["right", "click", "miss", "wrong"]


@dataclass(frozen=True)
class Answer:
    topic: str | None = None
    route: str | None = None
    form: str | None = None
    buttons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Accepts:
    """What counts as right for one message (any one of them)."""

    topics: frozenset[str] = frozenset()
    routes: frozenset[str] = frozenset()
    forms: frozenset[str] = frozenset()


def button_intent(payload: str) -> str:
    """``/transmettre_demande{"demande_type":"eloge"}`` -> ``transmettre_demande``."""
    return payload.removeprefix("/").split("{", 1)[0].strip()


def measured_topic(topic: str | None) -> str | None:
    """An emergency category's answer (``urgence.suicide``…) counts as the emergency answer ``urgence``."""
    return Intent.EMERGENCY if topic and topic.startswith(Intent.EMERGENCY + ".") else topic


def answer_of(body: dict[str, Any]) -> Answer:
    """The chat API's answer (``POST /api/chat``) as the measures read it."""
    route = body.get("route") or {}
    form = body.get("form") or {}
    payloads = [
        str(button.get("payload", ""))
        for message in body.get("messages", [])
        for button in message.get("buttons") or []
    ]
    return Answer(
        topic=measured_topic(body.get("topic")) or None,
        route=route.get("service") or None,
        form=form.get("name") or None,
        buttons=tuple(button_intent(p) for p in payloads if p.startswith("/")),
    )


@functools.cache
def form_intents() -> dict[str, frozenset[str]]:
    """Form name -> the intents whose rule starts it (data/rules/*.yml)."""
    found: dict[str, set[str]] = {}
    for path in sorted(RULES.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule in document.get("rules", []):
            steps = rule.get("steps", [])
            if len(steps) >= 2 and "intent" in steps[0] and "action" in steps[1] and "condition" not in rule:
                found.setdefault(steps[1]["action"], set()).add(steps[0]["intent"])
    return {form: frozenset(intents) for form, intents in found.items()}


def route_intents(routes: frozenset[str]) -> frozenset[str]:
    """The intents of the request types (thanks, talking to an RU) that go to one of ``routes``."""
    directory = get_directory()
    return frozenset(
        intent for request in directory.requests.values() if request.service in routes for intent in request.intents
    )


def good_buttons(accepts: Accepts) -> frozenset[str]:
    """The button intents that would lead to a right answer in one click."""
    intents = {intent_for(topic) for topic in accepts.topics}
    intents |= route_intents(accepts.routes)
    table = form_intents()
    for form in accepts.forms:
        intents |= table.get(form, frozenset())
    return frozenset(intents)


def verdict(answer: Answer, accepts: Accepts) -> Verdict:
    if answer.topic is not None:
        return "right" if answer.topic in accepts.topics else "wrong"
    if answer.form is not None and answer.form in accepts.forms:
        return "right"
    if answer.route is not None and answer.route in accepts.routes:
        return "right"
    if answer.form is not None or answer.route is not None:
        return "wrong"
    if set(answer.buttons) & good_buttons(accepts):
        return "click"
    return "miss"


@dataclass(frozen=True)
class Rates:
    """The three measures users feel, as shares of ``total``."""

    total: int
    right: float
    within_click: float
    wrong: float

    @classmethod
    def of(cls, verdicts: list[Verdict]) -> Rates:
        n = len(verdicts)
        if not n:
            return cls(0, 0.0, 0.0, 0.0)
        right = sum(v == "right" for v in verdicts)
        click = sum(v == "click" for v in verdicts)
        wrong = sum(v == "wrong" for v in verdicts)
        return cls(n, right / n, (right + click) / n, wrong / n)

    def line(self) -> str:
        return (
            f"right at once {self.right:.3f}, within one click {self.within_click:.3f}, "
            f"wrong {self.wrong:.3f} (n={self.total})"
        )
