"""Load and validate ``knowledge/content/*.yml``.

Nothing is read at import time: call :func:`load_knowledge` (or the cached
:func:`get_knowledge`) when the content is needed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge.schema import ContentFile, Entry, intent_for

CONTENT_DIR = Path(__file__).resolve().parent / "content"


class KnowledgeError(ValueError):
    """A content file is missing, unreadable or invalid.

    The message names the file, the entry and the field at fault.
    """


@dataclass(frozen=True)
class KnowledgeBase:
    entries: Mapping[str, Entry]
    by_intent: Mapping[str, Entry] = field(repr=False)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self.entries

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def for_intent(self, intent: str | None) -> Entry | None:
        if not intent:
            return None
        return self.by_intent.get(intent)


def _describe(error: ValidationError, raw: object) -> str:
    """Turn a pydantic error into "entrée 'x', champ 'y' : message"."""
    parts = []
    for err in error.errors():
        loc = list(err["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
            index = loc[1]
            entry_id = None
            if isinstance(raw, dict):
                entries = raw.get("entries")
                if isinstance(entries, list) and index < len(entries) and isinstance(entries[index], dict):
                    entry_id = entries[index].get("id")
            where = f"entry {entry_id!r}" if entry_id else f"entry #{index + 1}"
            loc = loc[2:]
        field_name = ".".join(str(part) for part in loc) or "(root)"
        prefix = f"{where}, " if where else ""
        parts.append(f"{prefix}field {field_name!r}: {err['msg']}")
    return "; ".join(parts)


def load_file(path: Path) -> list[Entry]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"{path}: cannot be read as YAML: {exc}") from exc
    try:
        return ContentFile.model_validate(raw).entries
    except ValidationError as exc:
        raise KnowledgeError(f"{path}: {_describe(exc, raw)}") from exc


def load_knowledge(content_dir: Path = CONTENT_DIR) -> KnowledgeBase:
    """Read every ``*.yml`` under ``content_dir`` and check cross-references."""
    files = sorted(content_dir.glob("*.yml"))
    if not files:
        raise KnowledgeError(f"{content_dir}: no knowledge file (*.yml) found")

    entries: dict[str, Entry] = {}
    origin: dict[str, Path] = {}
    for path in files:
        for entry in load_file(path):
            if entry.id in entries:
                raise KnowledgeError(f"{path}: entry {entry.id!r}, field 'id': already defined in {origin[entry.id]}")
            entries[entry.id] = entry
            origin[entry.id] = path

    by_intent: dict[str, Entry] = {}
    for entry in entries.values():
        path = origin[entry.id]
        for related in entry.related:
            if related not in entries:
                raise KnowledgeError(f"{path}: entry {entry.id!r}, field 'related': unknown id {related!r}")
        if entry.profile and entry.profile.path and entry.profile.path not in entries:
            raise KnowledgeError(f"{path}: entry {entry.id!r}, field 'profile.path': unknown id {entry.profile.path!r}")
        intent = intent_for(entry.id)
        if intent in by_intent:
            raise KnowledgeError(
                f"{path}: entry {entry.id!r}, field 'id': same intent {intent!r} as {by_intent[intent].id!r}"
            )
        by_intent[intent] = entry
    return KnowledgeBase(entries=entries, by_intent=by_intent)


@functools.cache
def get_knowledge() -> KnowledgeBase:
    """The knowledge base of the running process, loaded once on first use."""
    return load_knowledge()
