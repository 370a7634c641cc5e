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


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout_s: float, interval_s: float = 1.0) -> bool:
    """Poll ``url`` until it answers 200 (True); False once ``process`` has exited or ``timeout_s`` has passed.

    A caller tells the two failures apart with ``process.poll()``.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(interval_s)
    return False


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
        # Tests and evaluations send hundreds of messages and forms from 127.0.0.1: no rate limits
        # (server/ratelimit.py; tests/api/test_rate_limits.py tests them).
        RATE_LIMITS_ENABLED="false",
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
    if wait_until_up(f"{url}/health", process, START_TIMEOUT_S):
        return Stack(url, process, log, tmp / "tracker.db", tmp / "app.db", ports)
    if process.poll() is not None:
        raise StackError(f"the launcher exited early:\n{log.read_text()[-3000:]}")
    process.send_signal(signal.SIGINT)
    raise StackError(f"the stack was not healthy after {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def stop_stack(stack: Stack) -> set[int]:
    """Ctrl-C the launcher; return the processes it had started."""
    started = descendants(stack.process.pid)
    stack.process.send_signal(signal.SIGINT)
    stack.process.wait(timeout=60)
    return started


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports (engine instances listen on consecutive ports)."""
    for _ in range(50):
        first = free_port()
        try:
            for offset in range(1, count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", first + offset))
        except OSError:
            continue
        return first
    raise StackError(f"no {count} consecutive free ports")


@dataclass
class Services:
    """The processes of ``server.runtime.build_stack``, each started on its own, as systemd units would be.

    Unlike the launcher (honcho stops everything when one process ends), one
    process can be killed and started again: the fault-injection tests use it.
    """

    url: str
    token: str
    engine_urls: list[str]
    commands: dict[str, str]
    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]]

    def start(self, name: str) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(  # noqa: S603 - the commands server.runtime builds
            ["/bin/sh", "-c", self.commands[name]],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole
        )
        log.close()

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        process = self.processes[name]
        if process.poll() is None:
            os.killpg(process.pid, sig)
            process.wait(timeout=60)

    def engine_name(self, engine_url: str) -> str:
        index = self.engine_urls.index(engine_url)
        return "engine" if len(self.engine_urls) == 1 else f"engine{index + 1}"

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_healthy(self, timeout_s: float = START_TIMEOUT_S, component: str | None = None) -> dict[str, Any]:
        """Until ``/health`` is 200 with every engine instance up (or only ``component`` ok)."""
        deadline = time.monotonic() + timeout_s
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None and name == "web":
                    raise StackError(f"the front door exited:\n{self.log('web')[-3000:]}")
            try:
                response = httpx.get(f"{self.url}/health", timeout=5)
                body = response.json()
                components = body.get("components", {})
                if component is not None and components.get(component, {}).get("status") == "ok":
                    return body
                if component is None and response.status_code == 200 and body.get("status") == "ok":
                    return body
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(1)
        raise StackError(f"not healthy after {timeout_s:.0f} s: {body}")

    def chat(
        self, client: httpx.Client, message: str, session_id: str | None = None, mode: str = "patient"
    ) -> httpx.Response:
        return client.post(f"{self.url}/api/chat", json={"message": message, "session_id": session_id, "mode": mode})

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)


def start_services(tmp: Path, extra_env: dict[str, str], instances: int = 1) -> Services:
    """Start every process of the stack on its own (see ``Services``), on free ports; wait until healthy.

    ``extra_env`` sets the databases (``DATABASE_URL``, ``TRACKER_URL``), ``REDIS_URL``…
    """
    from server.runtime import build_stack, write_files
    from server.settings import Settings

    if not MODEL.exists():
        raise StackError(f"no trained model at {MODEL}: run `make setup` first")
    port, engine_port, action_port = free_port(), free_ports(instances), free_port()
    token = f"test-{os.urandom(16).hex()}"
    values = {
        "RATE_LIMITS_ENABLED": "false",  # load and fault tests send many messages from one address
        **extra_env,
        "PORT": str(port),
        "ENGINE_PORT": str(engine_port),
        "ACTION_PORT": str(action_port),
        "ENGINE_INSTANCES": str(instances),
        "ENGINE_TOKEN": token,
    }
    settings = Settings.model_validate({key.lower(): value for key, value in values.items()})
    runtime = build_stack(settings)
    write_files(runtime)
    env = {**runtime.env, **values}
    logs = tmp / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    services = Services(
        url=f"http://127.0.0.1:{port}",
        token=token,
        engine_urls=list(runtime.engine_urls),
        commands=runtime.commands,
        env=env,
        logs=logs,
        processes={},
    )
    try:
        for name in runtime.commands:
            services.start(name)
        services.wait_healthy()
    except BaseException:
        services.stop()
        raise
    return services
