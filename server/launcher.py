"""``make run``: start the engine, the action server and the front door with honcho.

Ctrl-C (or SIGTERM) stops the three process groups; honcho kills what is left
after a few seconds, so nothing is orphaned.

The launcher stays small: honcho forks it once per process it supervises, so
every module it imports is counted again in each fork's resident memory.  The
settings are therefore read, and the processes planned, by a short-lived child
(``python -m server.runtime``, which prints the plan as JSON on its standard
output); the launcher itself imports only honcho and the standard library.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from honcho.manager import Manager

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_S = 180.0


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}health", timeout=2.0) as answer:  # noqa: S310 - our own http:// URL
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _announce_when_ready(url: str, stop: threading.Event) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not stop.is_set() and time.monotonic() < deadline:
        if _healthy(url):
            print(f"\n  Partenaires Santé is ready: {url}\n", flush=True)
            return
        stop.wait(1.0)
    if not stop.is_set():
        print(f"\n  Not healthy after {READY_TIMEOUT_S:.0f} s: see {url}health\n", flush=True)


def plan() -> dict[str, Any]:
    """The processes to start, planned by ``python -m server.runtime`` (settings read and checked there)."""
    done = subprocess.run(
        [sys.executable, "-m", "server.runtime"], cwd=ROOT, stdout=subprocess.PIPE, check=False
    )
    if done.returncode != 0:
        raise SystemExit(done.returncode)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> int:
    stack = plan()
    for warning in stack.get("warnings", []):
        print(f"Warning: {warning}", flush=True)
    url = str(stack["url"])
    print(f"Starting Partenaires Santé on {url} (the engine takes about 15 s to load)", flush=True)
    manager = Manager()
    for name, command in stack["commands"].items():
        manager.add_process(name, command, env=stack["env"], cwd=str(ROOT))
    stop = threading.Event()
    threading.Thread(target=_announce_when_ready, args=(url, stop), daemon=True).start()
    try:
        manager.loop()
    finally:
        stop.set()
    return int(manager.returncode or 0)


if __name__ == "__main__":
    sys.exit(main())
