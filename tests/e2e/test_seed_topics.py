"""The topics added from the seeds answer through POST /api/chat on the real model."""

from __future__ import annotations

import httpx
import pytest

from evaluation.stack import Stack
from knowledge.loader import get_knowledge

pytestmark = pytest.mark.e2e

#: One message per new topic, written for this test (neither trained on nor held out).
ASKED = [
    (
        "ma soeur est décédée en mars, je suis son héritière, comment obtenir son dossier médical ?",
        "droit.dossier_personne_decedee",
    ),
    ("mon enfant de 15 ans peut-il interdire au médecin de me parler de ses soins ?", "droit.dossier_mineur"),
    ("je veux quitter l'hôpital contre l'avis médical, comment ça se passe ?", "droit.sortie_contre_avis"),
    ("qu'est-ce que la bientraitance des patients ?", "droit.bientraitance"),
    ("mon père a été attaché à son lit cette nuit, la contention c'est autorisé ?", "droit.contention"),
    ("comment doit se passer l'annonce d'un diagnostic difficile ?", "droit.annonce_diagnostic"),
    ("quelle est l'histoire de l'engagement des patients depuis le sida ?", "engagement.histoire"),
    (
        "comment les représentants des usagers et les patients partenaires peuvent-ils travailler ensemble ?",
        "engagement.travailler_ensemble",
    ),
    ("c'est quoi un patient vigilant au CHU de Nice ?", "engagement.profils_nice"),
    ("c'est quoi une pair aidante familiale ?", "role.pair_aidant_familial"),
    ("c'est quoi la plateforme Patients partenaires des HUG à Genève ?", "engagement.hug_patients_partenaires"),
    ("c'est quoi l'IFEP ?", "engagement.ifep"),
]


@pytest.mark.parametrize(("text", "topic"), ASKED, ids=[topic for _, topic in ASKED])
def test_each_new_topic_is_answered_with_its_entry(stack: Stack, text: str, topic: str) -> None:
    entry = get_knowledge().get(topic)
    assert entry is not None
    with httpx.Client(timeout=60) as client:
        body = stack.chat(client, text)
    assert body["topic"] == topic, body
    # The safety net may put a support message first; the entry's answer is then the next one.
    [answer] = [m["text"] for m in body["messages"] if m["text"].startswith(entry.long)]
    assert "Source : " in answer


def test_who_decides_when_one_can_no_longer_speak_is_the_trusted_person_answer(stack: Stack) -> None:
    with httpx.Client(timeout=60) as client:
        body = stack.chat(client, "qui décide pour moi si un jour je ne peux plus parler ?")
    assert body["topic"] == "droit.personne_confiance"
    assert "témoignage l'emporte sur tout autre" in " ".join(body["messages"][0]["text"].split())
