"""The production path on real processes: PostgreSQL (application + Rasa's tracker store), Redis (Rasa's
lock store), two engine instances behind the front door, and faults injected one by one:

- an engine instance killed in the middle of a registration (the session goes on on the other one);
- ten messages of one session at once (through the front door, and straight to both engines);
- the action server killed while a registration is confirmed;
- PostgreSQL restarted in the middle of a registration;
- every engine down (503, /health, the message kept).

SMTP down is covered by ``tests/api/test_outbox.py`` (a real local SMTP server that refuses, then accepts).

Every invariant is checked in PostgreSQL.  Skipped, saying why, when PostgreSQL or Redis is unreachable
(``PS_TEST_POSTGRES_URL``, ``PS_TEST_REDIS_URL``), so the default SQLite ``make test`` passes without them.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from evaluation.stack import Services, StackError, start_services
from knowledge.messages import message
from knowledge.partenaires import get_partners
from server.engine_client import instance_order
from tests.databases import POSTGRES_URL, postgres_error

pytestmark = pytest.mark.e2e

REDIS_URL = os.environ.get("PS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: How this machine restarts its own PostgreSQL server (Debian's cluster tools).
PG_RESTART = ["pg_ctlcluster", os.environ.get("PS_TEST_PG_CLUSTER", "15"), "main", "restart"]


def _redis_error() -> str | None:
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=3) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(64).startswith(b"+PONG"):
                return f"Redis at {REDIS_URL} did not answer PING"
    except OSError as exc:
        return f"Redis unreachable at {REDIS_URL} ({type(exc).__name__})"
    return None


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]  # our own DDL, no user input


class Databases:
    """The application database and Rasa's tracker store, each a fresh PostgreSQL database."""

    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:10]
        self.app, self.tracker = f"ps_e2e_app_{suffix}", f"ps_e2e_tracker_{suffix}"
        base = urlsplit(POSTGRES_URL)
        self._server = f"{base.scheme}://{base.netloc}"

    def url(self, name: str, driver: str = "postgresql") -> str:
        return f"{driver}{self._server.removeprefix('postgresql')}/{name}"

    def create(self) -> None:
        for name in (self.app, self.tracker):
            _admin(f'CREATE DATABASE "{name}"')

    def drop(self) -> None:
        for name in (self.app, self.tracker):
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def rows(self, database: str, sql: str, *params: Any) -> list[dict[str, Any]]:
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(self.url(database), row_factory=dict_row) as connection:
            return list(connection.execute(sql, params).fetchall())  # type: ignore[arg-type]

    def registrations(self, email: str) -> list[dict[str, Any]]:
        return self.rows(self.app, "SELECT * FROM registrations WHERE lower(email) = lower(%s) ORDER BY id", email)

    def user_texts(self, session_id: str) -> list[str]:
        """The user messages of a conversation, in the order the engines stored them."""
        rows = self.rows(
            self.tracker, "SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id", session_id
        )
        return [str(json.loads(row["data"])["text"]) for row in rows]


@pytest.fixture(scope="module")
def databases() -> Iterator[Databases]:
    reason = postgres_error() or _redis_error()
    if reason:
        pytest.skip(f"production path needs PostgreSQL and Redis: {reason}")
    dbs = Databases()
    dbs.create()
    yield dbs
    dbs.drop()


@pytest.fixture(scope="module")
def services(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    env = {
        "DATABASE_URL": databases.url(databases.app, "postgresql+psycopg"),
        "TRACKER_URL": databases.url(databases.tracker),
        "REDIS_URL": REDIS_URL,
        "DB_POOL_SIZE": "2",
        "DB_MAX_OVERFLOW": "2",
        "RATE_LIMITS_ENABLED": "false",  # several registrations from 127.0.0.1: not what is tested here
    }
    try:
        running = start_services(tmp_path_factory.mktemp("production"), env, instances=2)
    except StackError as exc:
        pytest.fail(str(exc))
    yield running
    running.stop()


class Talk:
    """One conversation through POST /api/chat."""

    def __init__(self, services: Services, client: httpx.Client) -> None:
        self.services = services
        self.client = client
        self.session_id: str | None = None
        self.last: dict[str, Any] = {}
        self.sent: list[str] = []

    def send(self, text: str) -> httpx.Response:
        self.sent.append(text)
        response = self.services.chat(self.client, text, self.session_id)
        if response.status_code in (200, 503):
            self.session_id = response.json().get("session_id") or self.session_id
        return response

    def say(self, text: str) -> dict[str, Any]:
        """Send; a 503 is checked (French, a component, the session kept), then fails the test."""
        response = self.send(text)
        if response.status_code != 200:
            assert response.status_code == 503, response.text
            body = response.json()
            assert body["detail"] in (message("unavailable"), message("unavailable_in_form")), body
            assert body["component"] in ("engine", "actions", "tracker_store", "database"), body
            assert body["session_id"] == self.session_id
            raise AssertionError(f"{text!r}: a turn lost: {body}")
        self.last = response.json()
        return self.last

    def payload(self, title: str) -> str:
        for button in (b for m in self.last["messages"] for b in m["buttons"]):
            if button["title"] == title:
                return str(button["payload"])
        raise AssertionError(f"no button {title!r} in {self.last['messages']}")

    def click(self, title: str) -> dict[str, Any]:
        return self.say(self.payload(title))

    def asks(self, slot: str | None) -> None:
        form = self.last["form"]
        assert (form or {}).get("requested_slot") == slot, self.last

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.last["messages"]]


def to_summary(talk: Talk, prenom: str, email: str, fault: Callable[[], None] | None = None) -> None:
    """A registration from its start to the summary; ``fault`` runs before the e-mail."""
    talk.say("je veux m'inscrire comme patient partenaire")
    talk.asks("consentement")
    talk.click("Oui")
    talk.asks("prenom")
    talk.say(prenom)
    talk.asks("nom")
    talk.say("Durand-Kerouac")
    talk.asks("email")
    if fault is not None:
        fault()
    talk.say(email)
    talk.asks("telephone")
    talk.say("06 11 22 33 44")
    talk.asks("profil")
    talk.click("Patient")
    talk.asks("domaines")
    talk.say("la formation des professionnels")
    talk.asks("experience")
    talk.say("une maladie chronique depuis dix ans")
    talk.asks("disponibilites")
    talk.say("le jeudi matin")
    talk.asks("confirmation")


def check_saved_once(databases: Databases, prenom: str, email: str, session_id: str | None) -> None:
    [row] = databases.registrations(email)
    assert (row["prenom"], row["nom"], row["email"]) == (prenom, "Durand-Kerouac", email)
    assert (row["telephone"], row["profil"]) == ("+33611223344", "patient")
    assert row["domaines"] == ["formation_professionnels"]
    assert (row["experience"], row["disponibilites"]) == ("une maladie chronique depuis dix ans", "le jeudi matin")
    assert row["reference"].startswith("PP-") and row["consent_at"] is not None
    assert session_id in row["session_ids"]


def test_health_reports_both_engine_instances_on_postgresql(services: Services) -> None:
    body = httpx.get(f"{services.url}/health", timeout=10).json()
    engine = body["components"]["engine"]
    assert [i["url"] for i in engine["instances"]] == services.engine_urls
    for instance in engine["instances"]:
        assert instance["status"] == "ok"
        assert instance["tracker_store"]["type"] == "SQLTrackerStore"
        assert instance["tracker_store"]["fell_back_to_memory"] is False
    assert body["components"]["database"]["status"] == "ok"


def test_a_registration_goes_on_on_the_other_instance_when_its_engine_is_killed(
    services: Services, databases: Databases
) -> None:
    registration = get_partners().registration
    email = "claire.failover@example.org"
    with httpx.Client(timeout=60) as client:
        talk = Talk(services, client)
        killed: list[str] = []

        def kill_the_sessions_engine() -> None:
            assert talk.session_id is not None
            owner = instance_order(talk.session_id, services.engine_urls)[0]
            killed.append(services.engine_name(owner))
            services.kill(killed[0])

        to_summary(talk, "Claire", email, kill_the_sessions_engine)
        # Served by the surviving instance from the e-mail on: the next question was the right one
        # each time (to_summary checks every requested slot), and the summary shows the first answers.
        assert "Claire" in talk.texts[-1] and "Durand-Kerouac" in talk.texts[-1]
        talk.click(registration.confirm_button)
        talk.asks(None)
        assert talk.texts[0].startswith("Merci Claire")
    check_saved_once(databases, "Claire", email, talk.session_id)
    # One conversation in the tracker store, written by both instances, with no turn lost.
    assert talk.session_id is not None
    assert databases.user_texts(talk.session_id) == talk.sent
    assert len(talk.sent) == 11
    body = httpx.get(f"{services.url}/health", timeout=10).json()
    assert body["components"]["engine"]["status"] == "partial"
    states = {i["url"]: i["status"] for i in body["components"]["engine"]["instances"]}
    assert sorted(states.values()) == ["down", "ok"]
    services.start(killed[0])  # back for the next tests (ready in about 15 s)


def test_the_action_server_killed_at_confirmation_saves_nothing_then_once(
    services: Services, databases: Databases
) -> None:
    registration = get_partners().registration
    email = "marc.actions@example.org"
    with httpx.Client(timeout=60) as client:
        talk = Talk(services, client)
        to_summary(talk, "Marc", email)
        services.kill("actions")
        try:
            response = talk.send(talk.payload(registration.confirm_button))
            assert response.status_code == 503, response.text
            body = response.json()
            assert body["detail"] == message("unavailable_in_form")
            assert "rien n'a été enregistré" in body["detail"]
            assert body["component"] == "actions"
            assert databases.registrations(email) == []
            health = httpx.get(f"{services.url}/health", timeout=10)
            assert health.status_code == 503 and health.json()["components"]["actions"]["status"] == "down"
        finally:
            services.start("actions")
            services.wait_healthy(60, component="actions")
        talk.click(registration.confirm_button)
        talk.asks(None)
        assert talk.texts[0].startswith("Merci Marc")
    check_saved_once(databases, "Marc", email, talk.session_id)


def test_postgresql_restarted_in_the_middle_of_a_registration(services: Services, databases: Databases) -> None:
    if shutil.which(PG_RESTART[0]) is None or os.geteuid() != 0:
        pytest.skip("restarting PostgreSQL needs Debian's pg_ctlcluster, run as root")
    registration = get_partners().registration
    email = "lea.restart@example.org"

    def restart() -> None:
        subprocess.run(PG_RESTART, check=True, timeout=120)

    # Both instances serving (one was killed and started again by an earlier test): the restart falls
    # in the middle of a registration on a running stack, not in an instance's start-up.
    services.wait_healthy()
    with httpx.Client(timeout=60) as client:
        talk = Talk(services, client)
        to_summary(talk, "Léa", email, restart)
        talk.click(registration.confirm_button)
        talk.asks(None)
        assert talk.texts[0].startswith("Merci Léa")
    # Every pooled connection is pinged before use (the application's and the tracker store's,
    # including the one Rasa opened at start-up): the restart cost no turn (say fails on a 503).
    check_saved_once(databases, "Léa", email, talk.session_id)
    assert talk.session_id is not None
    assert databases.user_texts(talk.session_id) == talk.sent
    assert services.wait_healthy(60)["status"] == "ok"


def test_ten_messages_of_one_session_at_once_are_handled_in_order(services: Services, databases: Databases) -> None:
    services.wait_healthy()  # both instances
    texts = [f"c'est quoi un patient partenaire ? question {i}" for i in range(10)]
    with httpx.Client(timeout=120) as client:
        talk = Talk(services, client)
        talk.say("bonjour")
    statuses: dict[int, int] = {}

    def send(index: int, start_at: float) -> None:
        with httpx.Client(timeout=120) as own:
            own.get(f"{services.url}/health")  # connected before the start
            time.sleep(max(0.0, start_at - time.monotonic()))
            statuses[index] = services.chat(own, texts[index], talk.session_id).status_code

    start_at = time.monotonic() + 2.0
    threads = [threading.Thread(target=send, args=(i, start_at + 0.1 * i)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == dict.fromkeys(range(10), 200)
    assert talk.session_id is not None
    stored = databases.user_texts(talk.session_id)
    assert stored[-len(texts) :] == texts  # the ten messages, each once, in order
    assert stored[: -len(texts)] and set(stored[: -len(texts)]) == {"bonjour"}

    # Straight to both engines at once, alternately: only the Redis lock store serialises them.
    session = f"direct-{uuid.uuid4().hex}"
    results: list[int] = []

    def direct(index: int) -> None:
        url = services.engine_urls[index % 2]
        with httpx.Client(timeout=120) as own:
            results.append(
                own.post(
                    f"{url}/webhooks/frontdoor/webhook",
                    json={"sender": session, "message": texts[index], "metadata": {}},
                    headers={"Authorization": f"Bearer {services.token}"},
                ).status_code
            )

    threads = [threading.Thread(target=direct, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 10
    stored = databases.user_texts(session)
    assert sorted(stored) == sorted(texts), stored  # every turn stored once, none overwritten
    rows = databases.rows(
        databases.tracker, "SELECT type_name FROM events WHERE sender_id = %s ORDER BY id", session
    )
    kinds = [row["type_name"] for row in rows]
    # Serial turns: each user message is followed by the bot's actions before the next one.
    users = [i for i, kind in enumerate(kinds) if kind == "user"]
    for first, second in itertools.pairwise(users):
        assert "action" in kinds[first:second] and "bot" in kinds[first:second]
    for name in ("engine1", "engine2"):
        assert not re.search(r"lock ?error|could not acquire lock", services.log(name), re.IGNORECASE)


def test_every_engine_down_gives_503_names_it_and_keeps_the_message(
    services: Services, databases: Databases
) -> None:
    with httpx.Client(timeout=60) as client:
        talk = Talk(services, client)
        talk.say("bonjour")
        for name in ("engine1", "engine2"):
            services.kill(name)
        lost = "je voudrais devenir patient expert"
        response = talk.send(lost)
        assert response.status_code == 503
        assert response.json() == {
            "detail": message("unavailable"),
            "component": "engine",
            "session_id": talk.session_id,
        }
        assert "Retry-After" in response.headers
        health = httpx.get(f"{services.url}/health", timeout=10)
        assert health.status_code == 503
        components = health.json()["components"]
        assert components["engine"]["status"] == "down"
        assert [i["status"] for i in components["engine"]["instances"]] == ["down", "down"]
        assert components["actions"]["status"] == components["database"]["status"] == "ok"
        [kept] = databases.rows(
            databases.app, "SELECT * FROM undelivered_messages WHERE session_id = %s", talk.session_id
        )
        assert (kept["text"], kept["component"], kept["channel"]) == (lost, "engine", "api")

        # Back: the same session resends it; what waited is then cleared.
        services.start("engine1")
        _wait_one_engine(services)
        talk.say(lost)
        assert talk.last["session_id"] == talk.session_id
    waiting = "SELECT * FROM undelivered_messages WHERE session_id = %s"
    assert databases.rows(databases.app, waiting, talk.session_id) == []
    assert talk.session_id is not None
    assert databases.user_texts(talk.session_id) == ["bonjour", lost]


def _wait_one_engine(services: Services, timeout_s: float = 240.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{services.url}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"no engine back after {timeout_s} s")
