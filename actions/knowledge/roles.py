"""Roles and their paths, as the follow-up and comparison actions need them."""

from __future__ import annotations

import re

from rasa_sdk import Tracker

from contract.text import fold
from knowledge.loader import KnowledgeBase
from knowledge.schema import Entry

ROLE_PREFIX = "role."
PATH_PREFIX = "parcours."
ROLE_ENTITY = "role"


def normalise(words: str) -> str:
    """``Pairs-Aidantes`` -> ``pair aidante``: lower case, no accents, no plural ``s``."""
    plain = fold(words)
    tokens = re.findall(r"[a-z0-9]+", plain.replace("_", " "))
    return " ".join(t[:-1] if len(t) > 3 and t.endswith("s") else t for t in tokens)


def role_entry(kb: KnowledgeBase, role: str | None) -> Entry | None:
    """``patient_expert``, ``role.patient_expert`` or any alias (``patiente experte``, ``RU``) -> the role's entry."""
    if not role:
        return None
    entry = kb.get(role if role.startswith(ROLE_PREFIX) else ROLE_PREFIX + role)
    if entry is not None:
        return entry
    wanted = normalise(role)
    return next((candidate for name, candidate in role_names(kb) if name == wanted), None)


def role_names(kb: KnowledgeBase) -> list[tuple[str, Entry]]:
    """Every role's id, title and aliases, normalised, longest first."""
    names = {
        (normalise(name), candidate.id)
        for candidate in roles(kb)
        for name in (candidate.id.removeprefix(ROLE_PREFIX), candidate.title, *candidate.aliases)
    }
    ordered = sorted((item for item in names if item[0]), key=lambda item: (-len(item[0]), item))
    return [(name, entry) for name, entry_id in ordered if (entry := kb.get(entry_id)) is not None]


def roles_in_text(kb: KnowledgeBase, text: str) -> list[Entry]:
    """The roles whose title or an alias appears in ``text``, in order of appearance.

    Longest names win (``pair aidant`` is the pair-aidant, not a proche aidant),
    and a stretch of text names one role at most.
    """
    plain = normalise(text)
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, Entry]] = []
    for name, entry in role_names(kb):
        for match in re.finditer(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", plain):
            start, end = match.span()
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            taken.append((start, end))
            found.append((start, entry))
    ordered: list[Entry] = []
    for _, entry in sorted(found, key=lambda item: item[0]):
        if entry not in ordered:
            ordered.append(entry)
    return ordered


def mentioned_roles(tracker: Tracker, kb: KnowledgeBase) -> list[Entry]:
    """The roles named in the latest message, without repeats.

    The ``role`` entities first, in order; then any role the entity extractor
    missed but whose name or alias is in the text (``RU``, ``patiente partenaire``).
    """
    latest = tracker.latest_message or {}
    found: list[Entry] = []
    for entity in latest.get("entities") or []:
        if entity.get("entity") != ROLE_ENTITY:
            continue
        entry = role_entry(kb, str(entity.get("value") or ""))
        if entry is not None and entry not in found:
            found.append(entry)
    for entry in roles_in_text(kb, str(latest.get("text") or "")):
        if entry not in found:
            found.append(entry)
    return found


def path_entry(kb: KnowledgeBase, role: Entry) -> Entry | None:
    if role.profile is None or role.profile.path is None:
        return None
    return kb.get(role.profile.path)


def subject_role_of(kb: KnowledgeBase, entry: Entry) -> str | None:
    """The role an answer is about: the role itself, or the role a path leads to."""
    if entry.id.startswith(ROLE_PREFIX):
        return entry.id
    if entry.id.startswith(PATH_PREFIX):
        leading = [c for c in roles(kb) if c.profile and c.profile.path == entry.id]
        # "parcours.devenir_pair_aidant" is about "role.pair_aidant" first.
        for candidate in leading:
            if candidate.id.removeprefix(ROLE_PREFIX) in entry.id:
                return candidate.id
        if leading:
            return leading[0].id
    return None


def roles(kb: KnowledgeBase) -> list[Entry]:
    return [entry for entry in kb if entry.id.startswith(ROLE_PREFIX)]
