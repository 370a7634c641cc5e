"""``knowledge/partenaires.yml``: orientation, registration and withdrawal texts and rules.

Validated when first loaded (:func:`get_partners`); nothing is read at import time.
A broken file stops the action server at start with a message naming the field.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from knowledge.loader import KnowledgeError, get_knowledge

PARTNERS_FILE = Path(__file__).resolve().parent / "partenaires.yml"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(_Strict):
    stop: list[Text] = Field(min_length=1)
    oui: list[Text] = Field(min_length=1)
    non: list[Text] = Field(min_length=1)
    skip: list[Text] = Field(min_length=1)
    question: list[Text] = Field(min_length=1)


class Buttons(_Strict):
    skip: Text
    stop: Text
    oui: Text
    non: Text
    other_email: Text
    orientation: Text
    inscrire: Text
    withdraw: Text
    retry: Text


class Option(_Strict):
    value: Text
    label: Text
    words: list[Text] = Field(min_length=1)


class FieldText(_Strict):
    label: Text = ""
    ask: Text
    invalid: Text
    optional: bool = False


class Notice(_Strict):
    version: Text
    text: Text
    #: Asked again, alone, after an unclear answer.
    question: Text
    invalid: Text


class Limits(_Strict):
    name_max: int = Field(gt=0)
    experience_max: int = Field(gt=0)
    disponibilites_max: int = Field(gt=0)


class LinkButton(_Strict):
    title: Text
    payload: Text


class Registration(_Strict):
    notice: Notice
    fields: dict[str, FieldText]
    choices: dict[str, list[Option]]
    limits: Limits
    too_many_tries_optional: Text
    too_many_tries_required: Text
    summary_intro: Text
    summary_line: Text
    summary_empty: Text
    summary_question: Text
    confirm_button: Text
    change_button: Text
    confirm_invalid: Text
    which_change: Text
    declined: Text
    cancelled: Text
    saved: Text
    updated: Text
    save_failed: Text
    next_steps: Text
    next_steps_buttons: list[LinkButton]


class Withdrawal(_Strict):
    fields: dict[str, FieldText]
    done: Text
    not_found: Text
    cancelled: Text
    failed: Text


class Question(_Strict):
    ask: Text
    invalid: Text
    options: list[Option] = Field(min_length=2)


class Rule(_Strict):
    when: dict[str, list[Text]]
    roles: list[Text] = Field(min_length=1, max_length=2)
    why: Text


class Orientation(_Strict):
    intro: Text
    questions: dict[str, Question]
    rules: list[Rule] = Field(min_length=1)
    role_line: Text
    path_line: Text
    result_intro: Text
    result_outro: Text
    sources: Text
    cancelled: Text

    @model_validator(mode="after")
    def _rules_use_known_answers(self) -> Orientation:
        for index, rule in enumerate(self.rules, start=1):
            for question, values in rule.when.items():
                if question not in self.questions:
                    raise ValueError(f"rule #{index}: unknown question {question!r}")
                known = {option.value for option in self.questions[question].options}
                unknown = set(values) - known
                if unknown:
                    raise ValueError(f"rule #{index}: unknown answers {sorted(unknown)} for {question!r}")
        return self


#: Every question the registration form asks, in order (the domain's required_slots).
REGISTRATION_FIELDS = (
    "prenom",
    "nom",
    "email",
    "reference_existante",
    "telephone",
    "profil",
    "domaines",
    "experience",
    "disponibilites",
)
WITHDRAWAL_FIELDS = ("retrait_reference", "retrait_email")


class Partners(_Strict):
    reviewed: dt.date
    #: The partnership team and what follows a registration are hospital settings, not facts
    #: from the sources: while True, the texts speak of them in the conditional.
    example_values: bool
    words: Words
    buttons: Buttons
    registration: Registration
    withdrawal: Withdrawal
    orientation: Orientation
    out_of_form: Text

    @model_validator(mode="after")
    def _complete(self) -> Partners:
        missing = [f for f in REGISTRATION_FIELDS if f not in self.registration.fields]
        missing += [f for f in WITHDRAWAL_FIELDS if f not in self.withdrawal.fields]
        missing += [f"choices.{c}" for c in ("profil", "domaines") if c not in self.registration.choices]
        if missing:
            raise ValueError(f"missing: {', '.join(missing)}")
        return self


def load_partners(path: Path = PARTNERS_FILE) -> Partners:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"{path}: cannot be read as YAML: {exc}") from exc
    try:
        partners = Partners.model_validate(raw)
    except ValidationError as exc:
        details = "; ".join(
            f"field {'.'.join(str(p) for p in err['loc']) or '(root)'!r}: {err['msg']}" for err in exc.errors()
        )
        raise KnowledgeError(f"{path}: {details}") from exc
    kb = get_knowledge()
    for rule in partners.orientation.rules:
        for role in rule.roles:
            entry = kb.get(role)
            if entry is None or entry.profile is None:
                raise KnowledgeError(f"{path}: orientation role {role!r} is not a role of the knowledge base")
    for button in partners.registration.next_steps_buttons:
        intent = button.payload.removeprefix("/")
        if kb.for_intent(intent) is None:
            raise KnowledgeError(f"{path}: button payload {button.payload!r} asks no knowledge entry")
    return partners


@functools.cache
def get_partners() -> Partners:
    return load_partners()
