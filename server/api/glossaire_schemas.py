"""The glossary API contract (``/api/glossaire``): staff quick definitions."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class GlossarySource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    reference: str


class GlossaryItem(BaseModel):
    """One role or concept: exactly these five fields (``short`` is the staff definition)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    short: str
    sources: list[GlossarySource]
    reviewed: dt.date


class ProfilePath(BaseModel):
    """The ``parcours.*`` entry that explains how to take on a role."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str


class RoleProfileOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    who: str
    what: str
    where: str
    training: str
    recognition: str
    path: ProfilePath | None = None


class RoleComparison(BaseModel):
    """One role of the side-by-side comparison table, from its structured ``profile``."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    profile: RoleProfileOut
