"""Staff quick definitions: ``/api/glossaire`` (JSON) and the ``/glossaire`` page.

Which knowledge entries are in the glossary
-------------------------------------------
An entry's *kind* is the part of its id before the dot (``role``, ``droit``,
``engagement``, ``service``...).  The glossary holds every entry that defines a
role or a concept, that is every entry **except**:

* entries without a kind (``urgence``, ``hors_sujet``): dialogue control, not a
  definition;
* ``bot.*``: what the assistant itself does with messages;
* ``parcours.*``: step-by-step procedures ("how to become..."), not definitions;
  a role's own ``profile.path`` still names its procedure in the comparison;
* ``compare.*``: comparisons of two entries, which the roles comparison table
  (``/api/glossaire/roles/comparaison``) covers.

Every ``role.*`` entry is therefore included, and a new kind of entry is
included unless it is added to :data:`EXCLUDED_KINDS`.  Roles come first, then
the other entries in the knowledge base's order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse

from contract.text import strip_accents
from knowledge.loader import KnowledgeBase, get_knowledge
from knowledge.schema import Entry
from server.api.glossaire_schemas import (
    GlossaryItem,
    GlossarySource,
    ProfilePath,
    RoleComparison,
    RoleProfileOut,
)
from server.api.routes.pages import STATIC
from server.api.schemas import ErrorResponse

router = APIRouter(tags=["glossaire"])

#: Kinds of entries left out of the glossary ("" is an id without a dot).
EXCLUDED_KINDS = frozenset({"", "bot", "parcours", "compare"})
ROLE_KIND = "role"


def kind_of(entry_id: str) -> str:
    """``role.pair_aidant`` is of kind ``role``; ``urgence`` has no kind (``""``)."""
    head, dot, _ = entry_id.partition(".")
    return head if dot else ""


def in_glossary(entry: Entry) -> bool:
    return kind_of(entry.id) not in EXCLUDED_KINDS


def glossary_entries(knowledge: KnowledgeBase) -> list[Entry]:
    """The glossary's entries: roles first, then the others in the knowledge base's order."""
    entries = [entry for entry in knowledge if in_glossary(entry)]
    return sorted(entries, key=lambda entry: kind_of(entry.id) != ROLE_KIND)


_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive words.

    ``Médiateur de santé-pair (MSP)`` → ``mediateur de sante pair msp``.
    """
    bare = strip_accents(text.casefold().translate(_LIGATURES))
    return _NOT_ALPHANUMERIC.sub(" ", bare).strip()


def matches(entry: Entry, query: str) -> bool:
    """Every word of ``query`` starts a word of the entry's title, short definition or aliases.

    Matching word starts (not any substring) keeps short queries useful while typing:
    ``ru`` finds "RU" and "rupture", not every "structure".
    """
    haystack = " " + " ".join(fold(text) for text in (entry.title, entry.short, *entry.aliases))
    return all(f" {word}" in haystack for word in fold(query).split())


def to_item(entry: Entry) -> GlossaryItem:
    return GlossaryItem(
        id=entry.id,
        title=entry.title,
        short=entry.short,
        sources=[GlossarySource(label=source.label, reference=source.reference) for source in entry.sources],
        reviewed=entry.reviewed,
    )


def to_comparison(entry: Entry, knowledge: KnowledgeBase) -> RoleComparison | None:
    profile = entry.profile
    if profile is None:
        return None
    path_entry = knowledge.get(profile.path) if profile.path else None
    return RoleComparison(
        id=entry.id,
        title=entry.title,
        profile=RoleProfileOut(
            who=profile.who,
            what=profile.what,
            where=profile.where,
            training=profile.training,
            recognition=profile.recognition,
            path=ProfilePath(id=path_entry.id, title=path_entry.title) if path_entry else None,
        ),
    )


SearchQuery = Annotated[
    str | None,
    Query(max_length=200, description="Filter on title, short definition and aliases (case- and accent-insensitive)"),
]


def _roles(entries: Iterable[Entry]) -> list[Entry]:
    return [entry for entry in entries if kind_of(entry.id) == ROLE_KIND]


@router.get("/glossaire", include_in_schema=False)
async def glossary_page() -> FileResponse:
    return FileResponse(STATIC / "glossaire.html", media_type="text/html; charset=utf-8")


@router.get("/api/glossaire", response_model=list[GlossaryItem])
async def list_glossary(q: SearchQuery = None) -> list[GlossaryItem]:
    """Every role and concept with its short definition, sources and review date (filtered by ``q``)."""
    entries = glossary_entries(get_knowledge())
    if q and q.strip():
        entries = [entry for entry in entries if matches(entry, q)]
    return [to_item(entry) for entry in entries]


@router.get("/api/glossaire/roles/comparaison", response_model=list[RoleComparison])
async def compare_roles() -> list[RoleComparison]:
    """Every ``role.*`` entry's structured profile, for a side-by-side table."""
    knowledge = get_knowledge()
    rows = (to_comparison(entry, knowledge) for entry in _roles(glossary_entries(knowledge)))
    return [row for row in rows if row is not None]


@router.get("/api/glossaire/{entry_id}", response_model=GlossaryItem, responses={404: {"model": ErrorResponse}})
async def get_glossary_item(entry_id: str) -> GlossaryItem:
    """One role or concept; 404 for an unknown id or an entry outside the glossary."""
    entry = get_knowledge().get(entry_id)
    if entry is None or not in_glossary(entry):
        raise HTTPException(status_code=404)
    return to_item(entry)
