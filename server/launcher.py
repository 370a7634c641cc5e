"""``make run``: start the engine, the action server and the front door with honcho.

Ctrl-C (or SIGTERM) stops the three process groups; honcho kills what is left
after a few seconds, so nothing is orphaned.
"""

from __future__ import annotations

import sys
import threading
import time

import httpx
from honcho.manager import Manager

from server.runtime import build_stack, prepare_dirs, write_files
from server.settings import ROOT, get_settings

READY_TIMEOUT_S = 180.0


def _announce_when_ready(url: str, stop: threading.Event) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}health", timeout=2.0).status_code == 200:
                print(f"\n  Partenaires Santé is ready: {url}\n", flush=True)
                return
        except httpx.HTTPError:
            pass
        stop.wait(1.0)
    if not stop.is_set():
        print(f"\n  Not healthy after {READY_TIMEOUT_S:.0f} s: see {url}health\n", flush=True)


def main() -> int:
    settings = get_settings()
    prepare_dirs()
    stack = build_stack(settings)
    write_files(stack)
    if settings.engine_instances > 1 and settings.redis_url is None:
        print("Warning: several engines without REDIS_URL share no lock: see docs/deployment.md", flush=True)
    print(f"Starting Partenaires Santé on {stack.url} (the engine takes about 35 s to load)", flush=True)
    manager = Manager()
    for name, command in stack.commands.items():
        manager.add_process(name, command, env=stack.env, cwd=str(ROOT))
    stop = threading.Event()
    threading.Thread(target=_announce_when_ready, args=(stack.url, stop), daemon=True).start()
    try:
        manager.loop()
    finally:
        stop.set()
    return int(manager.returncode or 0)


if __name__ == "__main__":
    sys.exit(main())
