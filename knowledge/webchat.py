"""``knowledge/webchat.yml``: the website widget's welcome and starter buttons.

Validated when first loaded (:func:`get_webchat`); nothing is read at import time.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

WEBCHAT_FILE = Path(__file__).resolve().parent / "webchat.yml"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Starter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    #: ``/intent`` of the domain.
    payload: Annotated[str, StringConstraints(pattern=r"^/[a-z_]+$")]


class Webchat(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    welcome: Text
    starters: list[Starter] = Field(min_length=3, max_length=4)


@functools.cache
def get_webchat() -> Webchat:
    return Webchat.model_validate(yaml.safe_load(WEBCHAT_FILE.read_text(encoding="utf-8")))
