"""Roles and their paths, as the follow-up and comparison actions need them."""

from __future__ import annotations

from knowledge.loader import KnowledgeBase
from knowledge.schema import Entry

ROLE_PREFIX = "role."
PATH_PREFIX = "parcours."


def role_entry(kb: KnowledgeBase, role: str | None) -> Entry | None:
    """``patient_expert`` or ``role.patient_expert`` -> the role's entry."""
    if not role:
        return None
    entry_id = role if role.startswith(ROLE_PREFIX) else ROLE_PREFIX + role
    return kb.get(entry_id)


def path_entry(kb: KnowledgeBase, role: Entry) -> Entry | None:
    if role.profile is None or role.profile.path is None:
        return None
    return kb.get(role.profile.path)


def subject_role_of(kb: KnowledgeBase, entry: Entry) -> str | None:
    """The role an answer is about: the role itself, or the role a path leads to."""
    if entry.id.startswith(ROLE_PREFIX):
        return entry.id
    if entry.id.startswith(PATH_PREFIX):
        for candidate in kb:
            if candidate.id.startswith(ROLE_PREFIX) and candidate.profile and candidate.profile.path == entry.id:
                if candidate.id.removeprefix(ROLE_PREFIX) in entry.id:
                    return candidate.id
        for candidate in kb:
            if candidate.id.startswith(ROLE_PREFIX) and candidate.profile and candidate.profile.path == entry.id:
                return candidate.id
    return None


def roles(kb: KnowledgeBase) -> list[Entry]:
    return [entry for entry in kb if entry.id.startswith(ROLE_PREFIX)]
