"""Start the whole stack (engine + action server + front door) with the real launcher, on free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "partenaires-sante.tar.gz"
START_TIMEOUT_S = 240.0


class StackError(RuntimeError):
    """The stack could not be started."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class Stack:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    tracker_db: Path
    app_db: Path
    ports: tuple[int, int, int]

    def chat(
        self, client: httpx.Client, message: str, session_id: str | None = None, mode: str = "patient"
    ) -> dict[str, Any]:
        response = client.post(
            f"{self.url}/api/chat", json={"message": message, "session_id": session_id, "mode": mode}
        )
        if response.status_code != 200:
            raise AssertionError(f"POST /api/chat {response.status_code}: {response.text}")
        body: dict[str, Any] = response.json()
        return body


def start_stack(tmp: Path, extra_env: dict[str, str] | None = None) -> Stack:
    """Start ``python -m server.launcher`` (as ``make run`` does) with its databases under ``tmp``."""
    if not MODEL.exists():
        raise StackError(f"no trained model at {MODEL}: run `make setup` first")
    ports = (free_port(), free_port(), free_port())
    env = dict(
        os.environ,
        PORT=str(ports[0]),
        ENGINE_PORT=str(ports[1]),
        ACTION_PORT=str(ports[2]),
        DATABASE_URL=f"sqlite:///{tmp / 'app.db'}",
        TRACKER_URL=f"sqlite:///{tmp / 'tracker.db'}",
    )
    env.update(extra_env or {})
    env.pop("ENGINE_TOKEN", None)  # the launcher generates one, as in `make run`
    env.pop("ENGINE_URL", None)
    env.pop("ACTION_SERVER_URL", None)
    log = tmp / "stack.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "server.launcher"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{ports[0]}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"the launcher exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return Stack(url, process, log, tmp / "tracker.db", tmp / "app.db", ports)
        except httpx.HTTPError:
            pass
        time.sleep(1)
    process.send_signal(signal.SIGINT)
    raise StackError(f"the stack was not healthy after {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def stop_stack(stack: Stack) -> set[int]:
    """Ctrl-C the launcher; return the processes it had started."""
    started = descendants(stack.process.pid)
    stack.process.send_signal(signal.SIGINT)
    stack.process.wait(timeout=60)
    return started
