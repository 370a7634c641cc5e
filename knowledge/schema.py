"""Schema of a knowledge entry.

Every sentence the assistant says about rights, roles, engagement and services
lives in ``knowledge/content/*.yml``.  Each file holds ``entries:``, a list of
entries validated by :class:`Entry` when the content is loaded.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

#: ``role.patient_partenaire``, ``droit.personne_confiance``, ``urgence``...
ENTRY_ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$"


class Source(BaseModel):
    """Where a statement comes from: a label plus a precise reference."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: NonEmpty
    reference: NonEmpty

    def cite(self) -> str:
        return f"{self.label}, {self.reference}"


class RoleProfile(BaseModel):
    """Structured fields of a role, used to compare two roles side by side."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    who: NonEmpty
    what: NonEmpty
    where: NonEmpty
    training: NonEmpty
    recognition: NonEmpty
    #: id of the ``parcours.*`` entry that explains how to take on this role.
    path: NonEmpty | None = None


class ComparisonRow(BaseModel):
    """One criterion of a two-column comparison table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    criterion: NonEmpty
    left: NonEmpty
    right: NonEmpty


class Comparison(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    left: NonEmpty
    right: NonEmpty
    rows: list[ComparisonRow] = Field(min_length=1)


class Entry(BaseModel):
    """One topic the assistant can answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=ENTRY_ID_PATTERN)]
    title: NonEmpty
    #: One or two sentences, for staff.
    short: NonEmpty
    #: Plain French for patients, ending with a concrete next step.
    long: NonEmpty
    sources: list[Source] = Field(min_length=1)
    #: The day the entry was last checked against its sources (honest: only what was checked).
    reviewed: dt.date
    #: Who checked it, as a role (never a person's name), e.g. « équipe projet (relecture documentaire) ».
    reviewed_by: NonEmpty | None = None
    related: list[NonEmpty] = Field(default_factory=list)
    aliases: list[NonEmpty] = Field(default_factory=list)
    profile: RoleProfile | None = None
    comparison: Comparison | None = None

    @property
    def intent(self) -> str:
        """The NLU intent that asks about this entry."""
        return intent_for(self.id)

    def review_age_days(self, today: dt.date) -> int:
        """Days since the last review."""
        return (today - self.reviewed).days

    def source_line(self) -> str:
        return " ; ".join(source.cite() for source in self.sources)


class ContentFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[Entry] = Field(min_length=1)


def intent_for(entry_id: str) -> str:
    """``role.patient_partenaire`` is asked by the intent ``role_patient_partenaire``."""
    return entry_id.replace(".", "_")
