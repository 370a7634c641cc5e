"""The realistic held-out set: its labels, its size, and that it is never trained on; the user-felt measures."""

from __future__ import annotations

from collections import Counter

import pytest

from evaluation.measures import Accepts, Answer, Rates, answer_of, form_intents, verdict
from evaluation.realistic import REALISTIC, RealisticExample, judge, load_realistic, pending_topics, score_realistic
from knowledge.annuaire import get_directory
from knowledge.loader import get_knowledge
from tests.unit.test_training_data import nlu_examples, plain

#: The kinds of situations the set must cover (issue: "Understand what real people write").
SITUATIONS = {
    "mauvaise_experience",
    "objets_perdus",
    "contention",
    "plainte_explicite",
    "remerciements",
    "comprendre",
    "famille_non_informee",
    "decision",
    "mineur",
    "argent",
    "aidant",
    "aider",
    "engagement",
    "etp",
    "question_claire",
}


def test_the_realistic_set_is_large_and_covers_every_situation() -> None:
    examples = load_realistic()
    assert len(examples) >= 200
    counts = Counter(e.situation for e in examples)
    assert SITUATIONS <= set(counts), SITUATIONS - set(counts)
    assert len({e.text.casefold() for e in examples}) == len(examples), "duplicate messages"


def test_every_label_names_a_known_topic_service_or_form() -> None:
    topics = {entry.id for entry in get_knowledge()} | set(pending_topics())
    services = set(get_directory().services)
    forms = set(form_intents())
    for example in load_realistic():
        accepts = example.accepts
        assert accepts.topics or accepts.routes or accepts.forms, example.text
        assert accepts.topics <= topics, (example.text, accepts.topics - topics)
        assert accepts.routes <= services, (example.text, accepts.routes - services)
        assert accepts.forms <= forms, (example.text, accepts.forms - forms)


def test_no_realistic_message_is_in_the_training_data() -> None:
    trained = {plain(line) for lines in nlu_examples().values() for line in lines}
    leaked = [example.text for example in load_realistic(REALISTIC) if plain(example.text) in trained]
    assert leaked == []


COMPLAINT = Accepts(topics=frozenset({"droit.reclamation"}), forms=frozenset({"transmission_demande"}))
THANKS = Accepts(topics=frozenset({"service.relations_usagers"}), routes=frozenset({"relations_usagers"}))


@pytest.mark.parametrize(
    ("answer", "accepts", "expected"),
    [
        (Answer(topic="droit.reclamation"), COMPLAINT, "right"),
        (Answer(topic="droit.dossier_medical", route="relations_usagers"), THANKS, "wrong"),
        (Answer(route="relations_usagers"), THANKS, "right"),
        (Answer(route="utep"), THANKS, "wrong"),
        (Answer(form="transmission_demande"), COMPLAINT, "right"),
        (Answer(form="orientation"), COMPLAINT, "wrong"),
        (Answer(buttons=("droit_mediation", "droit_reclamation", "bot_capacites")), COMPLAINT, "click"),
        (Answer(buttons=("transmettre_demande",)), COMPLAINT, "click"),
        (Answer(buttons=("demande_eloge", "bot_capacites")), THANKS, "click"),
        (Answer(buttons=("droit_mediation", "bot_capacites")), COMPLAINT, "miss"),
        (Answer(), COMPLAINT, "miss"),
    ],
)
def test_verdicts(answer: Answer, accepts: Accepts, expected: str) -> None:
    assert verdict(answer, accepts) == expected


def test_the_chat_api_answer_is_read_with_its_buttons_route_and_form() -> None:
    body = {
        "topic": None,
        "route": {"service": "relations_usagers", "ticket": None},
        "form": {"name": "transmission_demande", "requested_slot": "description"},
        "messages": [
            {"text": "…", "buttons": [{"title": "x", "payload": '/transmettre_demande{"demande_type":"eloge"}'}]}
        ],
    }
    assert answer_of(body) == Answer(None, "relations_usagers", "transmission_demande", ("transmettre_demande",))


def test_rates_and_false_alarms_per_situation() -> None:
    example = RealisticExample("ma mere attend depuis 8h", "mauvaise_experience", COMPLAINT)
    other = RealisticExample("merci a l'equipe", "remerciements", THANKS)
    outcomes = [
        judge(example, Answer(topic="droit.reclamation")),
        judge(example, Answer(topic="urgence")),
        judge(other, Answer(buttons=("demande_eloge",))),
        judge(other, Answer()),
    ]
    report = score_realistic(outcomes)
    assert report.overall == Rates(4, 0.25, 0.5, 0.25)
    assert report.situations["mauvaise_experience"] == Rates(2, 0.5, 0.5, 0.5)
    assert report.false_alarms == ["ma mere attend depuis 8h"]
    assert not report.passed
