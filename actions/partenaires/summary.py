"""The summary shown before a registration is saved, built from the form's slots."""

from __future__ import annotations

from rasa_sdk import Tracker

from knowledge.partenaires import REGISTRATION_FIELDS, get_partners

#: Asked only to prove an existing registration is the person's: not part of the summary.
HIDDEN = {"reference_existante"}


def display_value(slot: str, value: object) -> str:
    registration = get_partners().registration
    if value is None or value == "" or value == []:
        return registration.summary_empty
    labels = {o.value: o.label for o in registration.choices.get(slot, [])}
    if isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(str(value), str(value))


def summary_text(tracker: Tracker) -> str:
    registration = get_partners().registration
    lines = [registration.summary_intro]
    for slot in REGISTRATION_FIELDS:
        if slot in HIDDEN:
            continue
        label = registration.fields[slot].label
        lines.append(registration.summary_line.format(label=label, value=display_value(slot, tracker.get_slot(slot))))
    lines.append(registration.summary_question)
    return "\n".join(lines)
