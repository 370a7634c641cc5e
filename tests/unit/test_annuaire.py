"""The services directory, the request types and the représentants des usagers: loading and matching."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.annuaire import (
    DIRECTORY_FILE,
    REPRESENTATIVES_FILE,
    SERVICE_IDS,
    get_directory,
    get_representatives,
    load_directory,
    load_representatives,
    request_for,
)
from knowledge.loader import KnowledgeError

#: The routing table of the issue: request type -> service.
EXPECTED = {
    "reclamation": "relations_usagers",
    "eloge": "relations_usagers",
    "dossier_medical": "relations_usagers",
    "mediation": "relations_usagers",
    # A bill: the relations-usagers service says where to ask, or takes the contestation.
    "facture": "relations_usagers",
    "parler_ru": "representants_usagers",
    "programme_etp": "utep",
    "association": "maison_des_usagers",
    "projet_partenariat": "cellule_partenariat",
    "qualite_securite": "direction_qualite",
}


def test_every_request_type_goes_to_its_service() -> None:
    directory = get_directory()
    assert {k: v.service for k, v in directory.requests.items()} == EXPECTED
    assert set(directory.services) == set(SERVICE_IDS)
    assert request_for(topic="droit.reclamation") == "reclamation"
    assert request_for(topic="droit.dossier_medical") == "dossier_medical"
    assert request_for(intent="demande_eloge") == "eloge"
    assert request_for(topic="situation.mauvaise_experience") == "reclamation"
    assert request_for(topic="situation.facture") == "facture"
    assert request_for(topic="role.patient_expert") is None


def test_contacts_are_marked_as_examples() -> None:
    directory = get_directory()
    assert directory.example_values
    for service in directory.services.values():
        assert str(service.contact.email).endswith("@hopital.example")
        assert str(service.tickets_to).endswith("@hopital.example")
    representatives = get_representatives()
    assert representatives.example_values
    assert all("exemple" in ru.label for ru in representatives.representants)


def test_representatives_match_by_site_and_theme() -> None:
    representatives = get_representatives()
    assert [ru.id for ru in representatives.matching("brabois", "cancer")] == ["ru_exemple_2"]
    assert {ru.id for ru in representatives.matching("central", None)} == {
        "ru_exemple_1",
        "ru_exemple_3",
        "ru_exemple_4",
    }
    assert representatives.matching("psychiatrie", "diabete") == []


def _broken(tmp_path: Path, source: Path, change: Any) -> Path:
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["requests"]["reclamation"].update(service="inconnu"), "inconnu"),
        (lambda d: d["services"].pop("utep"), "utep"),
        (lambda d: d["services"]["cdu"]["contact"].pop("email"), "services.cdu.contact.email"),
        (lambda d: d["services"]["cdu"].update(tickets_to="pas-une-adresse"), "services.cdu.tickets_to"),
        (lambda d: d["requests"]["reclamation"].update(topics=["droit.inconnu"]), "droit.inconnu"),
    ],
)
def test_a_broken_directory_fails_naming_the_field(tmp_path: Path, change: Any, named: str) -> None:
    with pytest.raises(KnowledgeError, match=re.escape(named)):
        load_directory(_broken(tmp_path, DIRECTORY_FILE, change))


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["representants"][0].update(sites=["lune"]), "lune"),
        (lambda d: d["representants"][0].update(reached_through="inconnu"), "inconnu"),
        (lambda d: d["representants"][0].update(mandate="president"), "mandate"),
    ],
)
def test_a_broken_representatives_file_fails_naming_the_field(tmp_path: Path, change: Any, named: str) -> None:
    with pytest.raises(KnowledgeError, match=re.escape(named)):
        load_representatives(_broken(tmp_path, REPRESENTATIVES_FILE, change))
