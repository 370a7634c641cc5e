"""The staff glossary: /api/glossaire, the roles comparison and the /glossaire page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from knowledge.loader import get_knowledge
from knowledge.messages import message
from server.api.routes.glossaire import EXCLUDED_KINDS, in_glossary, kind_of

ITEM_KEYS = {"id", "title", "short", "sources", "reviewed"}
PROFILE_KEYS = {"who", "what", "where", "training", "recognition", "path"}
ROLE_IDS = [entry.id for entry in get_knowledge() if entry.id.startswith("role.")]


def test_the_knowledge_base_has_roles() -> None:
    assert len(ROLE_IDS) >= 10


def test_the_list_serves_every_role_and_no_operational_entry(client: TestClient) -> None:
    response = client.get("/api/glossaire")
    assert response.status_code == 200
    ids = [item["id"] for item in response.json()]
    assert len(ids) == len(set(ids))
    assert set(ROLE_IDS) <= set(ids)
    assert ids[: len(ROLE_IDS)] == ROLE_IDS  # roles first, in the knowledge base's order
    for left_out in ("urgence", "hors_sujet", "bot.capacites", "bot.confidentialite"):
        assert left_out not in ids
    assert "droit.personne_confiance" in ids and "engagement.modele_montreal" in ids and "service.cdu" in ids
    expected = [entry.id for entry in get_knowledge() if kind_of(entry.id) not in EXCLUDED_KINDS]
    assert set(ids) == set(expected)


def test_every_entry_is_in_the_glossary_or_of_an_excluded_kind() -> None:
    for entry in get_knowledge():
        assert in_glossary(entry) or kind_of(entry.id) in EXCLUDED_KINDS
        if entry.id.startswith("role."):
            assert in_glossary(entry)


def test_items_have_exactly_five_fields_with_sources_and_a_review_date(client: TestClient) -> None:
    items = client.get("/api/glossaire").json()
    knowledge = get_knowledge()
    for item in items:
        assert set(item) == ITEM_KEYS, item["id"]
        assert item["title"].strip() and item["short"].strip()
        assert item["sources"], item["id"]
        for source in item["sources"]:
            assert set(source) == {"label", "reference"}
            assert source["label"].strip() and source["reference"].strip()
        reviewed = dt.date.fromisoformat(item["reviewed"])
        entry = knowledge.get(item["id"])
        assert entry is not None
        assert (item["title"], item["short"], reviewed) == (entry.title, entry.short, entry.reviewed)


@pytest.mark.parametrize("role_id", ROLE_IDS)
def test_each_role_is_served_on_its_own(client: TestClient, role_id: str) -> None:
    response = client.get(f"/api/glossaire/{role_id}")
    assert response.status_code == 200
    item = response.json()
    assert set(item) == ITEM_KEYS
    assert item["id"] == role_id
    assert item in client.get("/api/glossaire").json()


@pytest.mark.parametrize("unknown", ["role.inconnu", "nimporte_quoi", "urgence", "bot.capacites", "parcours.arreter"])
def test_an_unknown_or_excluded_id_is_a_404_in_french(client: TestClient, unknown: str) -> None:
    response = client.get(f"/api/glossaire/{unknown}")
    assert response.status_code == 404
    assert response.json() == {"detail": message("not_found")}
    assert "n'existe pas" in response.json()["detail"]


def _search(client: TestClient, query: str) -> list[str]:
    response = client.get("/api/glossaire", params={"q": query})
    assert response.status_code == 200
    return [item["id"] for item in response.json()]


def test_search_ignores_accents_and_case(client: TestClient) -> None:
    found = _search(client, "mediateur")
    assert "role.mediateur_sante_pair" in found
    assert "role.patient_expert" not in found
    assert _search(client, "MÉDIATEUR de santé pair")[0] == "role.mediateur_sante_pair"
    assert _search(client, "Médiateur") == found
    assert "droit.consentement" in _search(client, "CONSENTEMENT")


def test_search_looks_at_aliases_and_every_word(client: TestClient) -> None:
    assert "role.representant_usagers" in _search(client, "ru")
    assert "role.patient_ressource" not in _search(client, "ru")  # word starts, not "ressource"'s inner letters
    assert _search(client, "patient expert") == ["role.patient_expert"]
    assert "role.pair_aidant" in _search(client, "pair aidant")
    assert _search(client, "zzzz introuvable") == []


def test_an_empty_query_lists_everything(client: TestClient) -> None:
    everything = _search(client, "")
    assert everything == [item["id"] for item in client.get("/api/glossaire").json()]
    assert _search(client, "   ") == everything


def test_the_comparison_covers_every_role_with_its_profile(client: TestClient) -> None:
    response = client.get("/api/glossaire/roles/comparaison")
    assert response.status_code == 200
    roles = response.json()
    assert [role["id"] for role in roles] == ROLE_IDS
    knowledge = get_knowledge()
    for role in roles:
        assert set(role) == {"id", "title", "profile"}
        assert set(role["profile"]) == PROFILE_KEYS
        entry = knowledge.get(role["id"])
        assert entry is not None and entry.profile is not None
        assert role["title"] == entry.title
        for field in ("who", "what", "where", "training", "recognition"):
            assert role["profile"][field] == getattr(entry.profile, field)
        path = role["profile"]["path"]
        if entry.profile.path is None:
            assert path is None
        else:
            path_entry = knowledge.get(entry.profile.path)
            assert path_entry is not None
            assert path == {"id": path_entry.id, "title": path_entry.title}


def test_the_openapi_schema_describes_the_items(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/glossaire", "/api/glossaire/{entry_id}", "/api/glossaire/roles/comparaison"):
        assert path in paths
    assert "/glossaire" not in paths
    item = schema["components"]["schemas"]["GlossaryItem"]
    assert set(item["properties"]) == ITEM_KEYS
    assert item["properties"]["reviewed"]["format"] == "date"
    assert "q" in {parameter["name"] for parameter in paths["/api/glossaire"]["get"]["parameters"]}


def test_the_page_is_french_html_with_external_script_and_style_only(client: TestClient) -> None:
    response = client.get("/glossaire")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert re.search(r'<html[^>]*\blang="fr"', html)
    assert '<script src="/static/glossaire.js"' in html
    assert '<link rel="stylesheet" href="/static/glossaire.css">' in html
    for script in re.finditer(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I):
        assert "src=" in script.group(1) and not script.group(2).strip()  # no inline script (CSP)
    assert not re.search(r"\son[a-z]+\s*=", html, re.I)  # no inline event handler
    assert not re.search(r"\sstyle\s*=", html, re.I) and "<style" not in html.lower()
    assert 'id="q"' in html and 'id="roles-table"' in html

    for asset, kind in (("glossaire.js", "javascript"), ("glossaire.css", "css")):
        served = client.get(f"/static/{asset}")
        assert served.status_code == 200 and kind in served.headers["content-type"]


def test_the_script_renders_data_as_text_only(client: TestClient) -> None:
    script = client.get("/static/glossaire.js").text
    assert "/api/glossaire" in script and "/api/glossaire/roles/comparaison" in script
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", ".style."):
        assert risky not in script
    css = client.get("/static/glossaire.css").text
    assert "@media print" in css and "break-inside: avoid" in css
