"""``knowledge/annuaire.yml`` and ``knowledge/representants.yml``: services, request types and RU.

Validated when first loaded (:func:`get_directory`); nothing is read at import
time.  An unknown service id, a missing contact or a request type no service
handles stops the action server at start with a message naming the field.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, ValidationError, model_validator

from knowledge.loader import KnowledgeError, get_knowledge

DIRECTORY_FILE = Path(__file__).resolve().parent / "annuaire.yml"
REPRESENTATIVES_FILE = Path(__file__).resolve().parent / "representants.yml"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

#: The services the routing issue names; the hospital may not remove one.
SERVICE_IDS = (
    "relations_usagers",
    "representants_usagers",
    "cdu",
    "maison_des_usagers",
    "utep",
    "cellule_partenariat",
    "direction_qualite",
    "mediateur_medical",
    "mediateur_non_medical",
)
#: Where a request to talk to an RU goes when no RU matches.
NO_MATCH_SERVICE = "cdu"
RU_REQUEST = "parler_ru"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Strict):
    email: EmailStr
    phone: Text
    address: Text
    hours: Text


class Service(_Strict):
    name: Text
    mission: Text
    handles: list[Text] = Field(default_factory=list)
    contact: Contact
    #: The address that receives this service's tickets.
    tickets_to: EmailStr
    response_time: Text


class RequestType(_Strict):
    label: Text
    service: Text
    topics: list[Text] = Field(default_factory=list)
    intents: list[Text] = Field(default_factory=list)
    next: Text
    guarantees: Text | None = None
    #: Said after the confirmation that the request was transmitted (what the transmission is not, deadlines).
    after_saved: Text | None = None


class RoutingMessages(_Strict):
    """Every sentence of the routing offer, the contact details and the transmission form."""

    offer: Text
    offer_question: Text
    guarantees: Text
    contacts_button: Text
    transmit_button: Text
    contact_card: Text
    example_note: Text
    which_request: Text
    ask_site: Text
    ask_theme: Text
    any_site: Text
    any_theme: Text
    ask_ru: Text
    ru_line: Text
    one_ru: Text
    no_ru: Text
    ask_description: Text
    invalid_description: Text
    ask_contact: Text
    invalid_contact: Text
    ask_consent: Text
    invalid_consent: Text
    ask_transcript: Text
    invalid_transcript: Text
    summary: Text
    transcript_yes: Text
    transcript_no: Text
    invalid_confirmation: Text
    change_description: Text
    change_contact: Text
    declined: Text
    cancelled: Text
    saved: Text
    save_failed: Text
    mail_subject: Text
    mail_body: Text
    mail_no_ru: Text
    mail_no_transcript: Text
    transcript_user: Text
    transcript_bot: Text


class Directory(_Strict):
    reviewed: dt.date
    example_values: bool
    services: dict[str, Service]
    requests: dict[str, RequestType]
    messages: RoutingMessages

    @model_validator(mode="after")
    def _consistent(self) -> Directory:
        missing = [s for s in SERVICE_IDS if s not in self.services]
        if missing:
            raise ValueError(f"missing services: {', '.join(missing)}")
        for request_id, request in self.requests.items():
            if request.service not in self.services:
                raise ValueError(f"requests.{request_id}.service: unknown service {request.service!r}")
            if not request.topics and not request.intents:
                raise ValueError(f"requests.{request_id}: no topic or intent recognises it")
        for service_id, service in self.services.items():
            for request_id in service.handles:
                if request_id not in self.requests:
                    raise ValueError(f"services.{service_id}.handles: unknown request type {request_id!r}")
        return self


class Representative(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    label: Text
    association: Text
    themes: list[Text] = Field(min_length=1)
    sites: list[Text] = Field(min_length=1)
    mandate: Literal["titulaire", "suppleant"]
    reached_through: Text


class Representatives(_Strict):
    reviewed: dt.date
    example_values: bool
    sites: dict[str, Text] = Field(min_length=1)
    themes: dict[str, Text] = Field(min_length=1)
    representants: list[Representative]

    @model_validator(mode="after")
    def _known_ids(self) -> Representatives:
        seen: set[str] = set()
        for index, ru in enumerate(self.representants, start=1):
            where = f"representants #{index} ({ru.id})"
            if ru.id in seen:
                raise ValueError(f"{where}: duplicate id")
            seen.add(ru.id)
            for site in ru.sites:
                if site not in self.sites:
                    raise ValueError(f"{where}.sites: unknown site {site!r}")
            for theme in ru.themes:
                if theme not in self.themes:
                    raise ValueError(f"{where}.themes: unknown theme {theme!r}")
        return self

    def matching(self, site: str | None, theme: str | None) -> list[Representative]:
        """The RU covering ``site`` and ``theme`` (None: any)."""
        return [
            ru
            for ru in self.representants
            if (site is None or site in ru.sites) and (theme is None or theme in ru.themes)
        ]


def _read(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"{path}: cannot be read as YAML: {exc}") from exc


def _describe(path: Path, exc: ValidationError) -> KnowledgeError:
    details = "; ".join(
        f"field {'.'.join(str(p) for p in err['loc']) or '(root)'!r}: {err['msg']}" for err in exc.errors()
    )
    return KnowledgeError(f"{path}: {details}")


def load_directory(path: Path = DIRECTORY_FILE) -> Directory:
    try:
        directory = Directory.model_validate(_read(path))
    except ValidationError as exc:
        raise _describe(path, exc) from exc
    kb = get_knowledge()
    for request_id, request in directory.requests.items():
        for topic in request.topics:
            if topic not in kb:
                raise KnowledgeError(f"{path}: field 'requests.{request_id}.topics': unknown topic {topic!r}")
    return directory


def load_representatives(path: Path = REPRESENTATIVES_FILE, directory: Directory | None = None) -> Representatives:
    try:
        representatives = Representatives.model_validate(_read(path))
    except ValidationError as exc:
        raise _describe(path, exc) from exc
    services = (directory or get_directory()).services
    for ru in representatives.representants:
        if ru.reached_through not in services:
            raise KnowledgeError(
                f"{path}: field 'representants.{ru.id}.reached_through': unknown service {ru.reached_through!r}"
            )
    return representatives


@functools.cache
def get_directory() -> Directory:
    return load_directory()


@functools.cache
def get_representatives() -> Representatives:
    return load_representatives()


def request_for(topic: str | None = None, intent: str | None = None) -> str | None:
    """The request type a knowledge topic or an intent signals, if any."""
    for request_id, request in get_directory().requests.items():
        if (topic and topic in request.topics) or (intent and intent in request.intents):
            return request_id
    return None
