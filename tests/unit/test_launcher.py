"""``make run``'s launcher: the plan comes from a child process, and the launcher itself stays small."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from server.settings import ROOT

HEAVY = ("pydantic", "pydantic_settings", "sqlalchemy", "httpx", "fastapi", "yaml")


def run_python(code: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**(env or os.environ), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_launcher_imports_neither_the_settings_nor_the_database_layer() -> None:
    # honcho forks the launcher once per process: whatever it imports is resident several times.
    done = run_python(f"import sys, server.launcher; print([m for m in {HEAVY!r} if m in sys.modules])")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_plan_names_the_three_processes_and_shares_one_token() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("ENGINE_TOKEN", "ENGINE_INSTANCES", "PORT")}
    done = run_python("import json, server.launcher; print(json.dumps(server.launcher.plan()))", env=env)
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert set(plan["commands"]) == {"engine", "actions", "web"}
    assert plan["url"] == "http://127.0.0.1:8000/" and plan["warnings"] == []
    assert len(plan["env"]["ENGINE_TOKEN"]) >= 32  # generated: the engine and the front door share it
    assert "--interface 127.0.0.1" in plan["commands"]["engine"]


def test_a_refused_start_stops_the_launcher_before_any_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENGINE_", "DATABASE_", "WHATSAPP_"))}
    env.update(ENVIRONMENT="production", DATABASE_URL="postgresql+psycopg://partenaires@127.0.0.1:1/p")
    done = run_python("import sys, server.launcher; sys.exit(server.launcher.main())", env=env, cwd=tmp_path)
    assert done.returncode != 0
    assert "ENVIRONMENT=production refuses to start" in done.stderr
    assert "Starting" not in done.stdout
