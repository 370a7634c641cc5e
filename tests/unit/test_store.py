"""The store: the persistence both processes share, its boundaries and its migration lock."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import sqlalchemy as sa

from store.engine import sync_url
from store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def test_the_action_server_never_imports_the_front_door() -> None:
    offenders = {
        path: sorted(n for n in names if n == "server" or n.startswith("server."))
        for path, names in _imported_modules("actions").items()
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_store_depends_on_no_other_package_of_ours() -> None:
    ours = ("server", "actions", "knowledge", "evaluation", "benchmarks", "bot")
    offenders = {
        path: sorted(n for n in names if n.split(".")[0] in ours) for path, names in _imported_modules("store").items()
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_two_processes_may_migrate_at_once(any_database: str) -> None:
    """The front door and the action server both migrate at start: the lock makes one wait for the other."""
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(any_database)
        except BaseException as exc:  # the test reports it below
            errors.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert {"alembic_version", "chat_sessions", "registrations", "tickets", "outbox"} <= _tables(any_database)
    upgrade(any_database)  # at head: nothing to do, no error
