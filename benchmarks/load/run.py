"""``make benchmark-load``: N simulated conversations against the whole stack and the bare engine.

The whole stack (front door, engine, action server, SQLite) is started as
``make run`` starts it, with its databases in a temporary directory.  A second,
bare engine process serves Rasa's own REST channel (``/webhooks/rest/webhook``
on 127.0.0.1) with the same model and the same action server.  At each level N,
N visitors run the conversation of ``script.yml`` (greeting, three questions, a
transmitted request, a full registration) in a loop, thinking 0 to 2 s between
messages, for ``--duration`` seconds; each visitor then finishes its current
conversation.  The same is done against the bare engine, with the same
messages, right after.

Reported per level and target: turns per second, p50/p95/p99 latency, error
rate, and the registrations and tickets created against those expected
(the confirmations that returned a reference).  Also the resident memory of
each process at rest and at peak, the cold start of ``make run`` to a healthy
``/health``, and the last training time.  Outputs: ``reports/benchmark-load.md``,
``reports/benchmark-load.json`` and ``reports/benchmark-load.png``.

``python -m benchmarks.load.run --levels 1 --duration 1 --think 0`` is the smoke
version that ``make test`` runs (``tests/e2e/test_benchmark_load_smoke.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import yaml

from benchmarks.stats import percentile
from evaluation.stack import ROOT, Stack, descendants, free_port, start_stack, stop_stack, wait_until_up

SCRIPT = Path(__file__).resolve().parent / "script.yml"
REPORTS = ROOT / "reports"
ENGINE_PYTHON = ROOT / ".venv-engine" / "bin" / "python"
TRAINING_SECONDS = ROOT / "models" / ".training-seconds"
DEFAULT_LEVELS = (1, 5, 10, 20, 40)
ENGINE_START_TIMEOUT_S = 300.0


# --------------------------------------------------------------------------- the script


@dataclass(frozen=True)
class Step:
    say: str | None = None
    click: str | None = None
    expect: str | None = None


def load_script(path: Path = SCRIPT) -> list[Step]:
    steps = yaml.safe_load(path.read_text(encoding="utf-8"))["steps"]
    parsed = [Step(**{k: str(v) for k, v in step.items()}) for step in steps]
    for step in parsed:
        if (step.say is None) == (step.click is None):
            raise ValueError(f"{path}: each step is either `say` or `click`: {step}")
    return parsed


# --------------------------------------------------------------------------- targets


@dataclass
class Reply:
    ok: bool
    texts: list[str] = field(default_factory=list)
    buttons: dict[str, str] = field(default_factory=dict)


class Target(Protocol):
    name: str

    async def send(self, client: httpx.AsyncClient, conversation: str, text: str) -> Reply: ...


class FrontDoor:
    """``POST /api/chat`` of the front door; the server issues the session ids."""

    name = "full_stack"

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.sessions: dict[str, str] = {}

    async def send(self, client: httpx.AsyncClient, conversation: str, text: str) -> Reply:
        body = {"message": text, "session_id": self.sessions.get(conversation)}
        response = await client.post(f"{self.url}/api/chat", json=body)
        if response.status_code != 200:
            return Reply(ok=False)
        data = response.json()
        self.sessions[conversation] = data["session_id"]
        messages = data.get("messages") or []
        return Reply(
            ok=bool(messages),
            texts=[m["text"] for m in messages],
            buttons={b["title"]: b["payload"] for m in messages for b in m.get("buttons", [])},
        )


class BareEngine:
    """Rasa's own REST channel, on a bare engine process."""

    name = "engine"

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    async def send(self, client: httpx.AsyncClient, conversation: str, text: str) -> Reply:
        response = await client.post(
            f"{self.url}/webhooks/rest/webhook", json={"sender": conversation, "message": text}
        )
        if response.status_code != 200:
            return Reply(ok=False)
        messages = response.json()
        return Reply(
            ok=bool(messages),
            texts=[m["text"] for m in messages if m.get("text")],
            buttons={b["title"]: b["payload"] for m in messages for b in m.get("buttons") or []},
        )


# --------------------------------------------------------------------------- one level


@dataclass
class Turn:
    latency_s: float
    ok: bool


@dataclass
class LevelResult:
    target: str
    level: int
    duration_s: float
    turns: int
    errors: int
    turns_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    conversations: int
    registrations_expected: int
    registrations_created: int
    tickets_expected: int
    tickets_created: int

    @property
    def error_rate(self) -> float:
        return self.errors / self.turns if self.turns else 0.0


class Visitor:
    """One simulated visitor: runs the script in a loop until told to stop, then finishes its conversation."""

    def __init__(self, target: Target, steps: list[Step], tag: str, think_s: float, seed: int) -> None:
        self.target = target
        self.steps = steps
        self.tag = tag
        self.think_s = think_s
        self.random = random.Random(seed)
        self.turns: list[Turn] = []
        self.conversations = 0
        self.references: dict[str, int] = {"PP-": 0, "TK-": 0}

    async def run(self, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.conversation(client, f"{self.tag}-{self.conversations}")
            self.conversations += 1

    async def conversation(self, client: httpx.AsyncClient, conversation: str) -> None:
        email = f"{conversation}@bench.example.org"
        buttons: dict[str, str] = {}
        for step in self.steps:
            if step.click is not None:
                text = buttons.get(step.click)
                if text is None:  # the button expected is not there: the conversation went wrong
                    self.turns.append(Turn(0.0, ok=False))
                    return
            else:
                text = str(step.say).replace("{email}", email)
            if self.think_s:
                await asyncio.sleep(self.random.uniform(0, self.think_s))
            started = time.perf_counter()
            try:
                reply = await self.target.send(client, conversation, text)
            except httpx.HTTPError:
                reply = Reply(ok=False)
            self.turns.append(Turn(time.perf_counter() - started, reply.ok))
            if not reply.ok:
                return
            if step.expect is not None:
                if not any(step.expect in t for t in reply.texts):
                    self.turns[-1].ok = False
                    return
                self.references[step.expect] += 1
            buttons = reply.buttons


def created(app_db: Path, prefix: str) -> tuple[int, int]:
    """Registrations and tickets whose e-mail starts with ``prefix``."""
    with sqlite3.connect(app_db) as db:
        registrations = db.execute("SELECT COUNT(*) FROM registrations WHERE email LIKE ?", (f"{prefix}%",))
        tickets = db.execute("SELECT COUNT(*) FROM tickets WHERE contact LIKE ?", (f"{prefix}%",))
        return int(registrations.fetchone()[0]), int(tickets.fetchone()[0])


async def run_level(
    target: Target, steps: list[Step], level: int, duration_s: float, think_s: float, run_id: str, app_db: Path
) -> LevelResult:
    prefix = f"{run_id}-{target.name}-n{level}-"
    visitors = [Visitor(target, steps, f"{prefix}v{i}", think_s, seed=1000 * level + i) for i in range(level)]
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=level + 5, max_keepalive_connections=level + 5)
    async with httpx.AsyncClient(timeout=httpx.Timeout(120.0), limits=limits) as client:
        started = time.perf_counter()
        tasks = [asyncio.create_task(v.run(client, stop)) for v in visitors]
        await asyncio.sleep(duration_s)
        stop.set()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    turns = [t for v in visitors for t in v.turns]
    latencies = [t.latency_s * 1000 for t in turns if t.ok]
    registrations, tickets = created(app_db, prefix)
    return LevelResult(
        target=target.name,
        level=level,
        duration_s=round(elapsed, 1),
        turns=len(turns),
        errors=sum(not t.ok for t in turns),
        turns_per_s=round(len(turns) / elapsed, 2),
        p50_ms=round(percentile(latencies, 50), 1),
        p95_ms=round(percentile(latencies, 95), 1),
        p99_ms=round(percentile(latencies, 99), 1),
        conversations=sum(v.conversations for v in visitors),
        registrations_expected=sum(v.references["PP-"] for v in visitors),
        registrations_created=registrations,
        tickets_expected=sum(v.references["TK-"] for v in visitors),
        tickets_created=tickets,
    )


# --------------------------------------------------------------------------- processes and memory


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def role_of(command: str) -> str | None:
    if "rasa run" in command or "-m rasa run" in command:
        return "engine"
    if "rasa_sdk" in command or "actions.serve" in command:
        return "actions"
    if "uvicorn" in command:
        return "front_door"
    if "server.launcher" in command:
        return "launcher"
    return None


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def stack_memory(root_pid: int) -> dict[str, float]:
    """Resident MB of the stack below ``root_pid``, by role.

    A process without a role of its own (the action server's Sanic worker, started by
    ``multiprocessing`` spawn, and its resource tracker) counts for its nearest ancestor's role.
    """
    pids = {root_pid, *descendants(root_pid)}
    found: dict[str, float] = {}
    for pid in pids:
        role, ancestor = role_of(cmdline(pid)), parent_of(pid)
        while role is None and ancestor in pids:
            role, ancestor = role_of(cmdline(ancestor)), parent_of(ancestor)
        if role is not None:
            found[role] = found.get(role, 0.0) + rss_mb(pid)
    return found


class MemorySampler:
    """Resident memory of the stack's processes, sampled twice a second: at rest and at peak."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.peak: dict[str, float] = {}
        self.peak_total = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def snapshot(self) -> dict[str, float]:
        return stack_memory(self.root_pid)

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            snapshot = self.snapshot()
            for role, mb in snapshot.items():
                self.peak[role] = max(self.peak.get(role, 0.0), mb)
            self.peak_total = max(self.peak_total, sum(snapshot.values()))

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def bare_engine(stack: Stack, tmp: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A second engine with Rasa's REST channel, the same model and the stack's action server."""
    credentials = tmp / "credentials.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    port = free_port()
    env = dict(
        os.environ,
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{stack.ports[2]}/webhook",
        TRACKER_URL=f"sqlite:///{tmp / 'engine-tracker.db'}",
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONPATH=str(ROOT),
    )
    log = (tmp / "engine.log").open("wb")
    process = subprocess.Popen(
        [str(ENGINE_PYTHON), "-m", "rasa", "run", "--model", str(ROOT / "models"), "--endpoints", "bot/endpoints.yml",
         "--credentials", str(credentials), "--interface", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_up(f"{url}/webhooks/rest/", process, ENGINE_START_TIMEOUT_S):
            if process.poll() is not None:
                raise RuntimeError(f"the bare engine exited: see {tmp / 'engine.log'}")
            raise RuntimeError(f"the bare engine did not start: see {tmp / 'engine.log'}")
        yield url, process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


@contextmanager
def profiled(stack: Stack, out: Path, enabled: bool) -> Iterator[None]:
    """py-spy samples the front door and the action server while the block runs (``--profile``).

    Writes flame graphs (``profile-<process>.svg``) and collapsed stacks
    (``profile-<process>.txt``, one line per stack with its sample count).
    """
    if not enabled:
        yield
        return
    spy = Path(sys.executable).parent / "py-spy"
    pids = {role_of(cmdline(pid)): pid for pid in descendants(stack.process.pid)}
    recorders = []
    for role in ("front_door", "actions"):
        pid = pids.get(role)
        if pid is None:
            continue
        for fmt, suffix in (("flamegraph", "svg"), ("raw", "txt")):
            recorders.append(
                subprocess.Popen(
                    [
                        str(spy),
                        "record",
                        "--pid",
                        str(pid),
                        "--rate",
                        "200",
                        "--format",
                        fmt,
                        "--output",
                        str(out / f"profile-{role}.{suffix}"),
                        "--nonblocking",
                        "--subprocesses",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
    try:
        yield
    finally:
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)
        for recorder in recorders:
            recorder.wait(timeout=60)


def cold_start(tmp: Path) -> float:
    """Seconds from ``make run`` to a healthy ``/health`` (installed and trained setup)."""
    port = free_port()
    env = dict(
        os.environ,
        PORT=str(port),
        ENGINE_PORT=str(free_port()),
        ACTION_PORT=str(free_port()),
        DATABASE_URL=f"sqlite:///{tmp / 'cold-app.db'}",
        TRACKER_URL=f"sqlite:///{tmp / 'cold-tracker.db'}",
    )
    env.pop("ENGINE_TOKEN", None)
    return time_make_run(ROOT, env, port, tmp / "cold-start.log", ENGINE_START_TIMEOUT_S)


def time_make_run(cwd: Path, env: dict[str, str], port: int, log_path: Path, timeout_s: float) -> float:
    """Seconds from ``make run`` in ``cwd`` to a healthy ``/health`` on ``port``; the stack is stopped after."""
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["make", "run"], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            if wait_until_up(f"http://127.0.0.1:{port}/health", process, timeout_s, interval_s=0.5):
                return round(time.perf_counter() - started, 1)
            if process.poll() is not None:
                raise RuntimeError(f"make run exited: see {log_path}")
            raise RuntimeError(f"make run was not healthy after {timeout_s:.0f} s: see {log_path}")
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


# --------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def knee(results: list[LevelResult]) -> int | None:
    """The first level whose p95 exceeds twice the p95 at the lowest level."""
    if not results:
        return None
    base = results[0].p95_ms
    return next((r.level for r in results if base and r.p95_ms > 2 * base), None)


def ratios(full: list[LevelResult], engine: list[LevelResult]) -> list[dict[str, Any]]:
    by_level = {r.level: r for r in engine}
    rows = []
    for r in full:
        e = by_level.get(r.level)
        if e and e.p50_ms and e.p95_ms:
            rows.append({"level": r.level, "p50": round(r.p50_ms / e.p50_ms, 2), "p95": round(r.p95_ms / e.p95_ms, 2)})
    return rows


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Load benchmark",
        "",
        f"Run {report['date']} with `{report['command']}` on {report['machine']['cores']} cores, "
        f"{report['machine']['ram_gb']} GB RAM. Each visitor runs `benchmarks/load/script.yml` "
        f"({report['turns_per_conversation']} turns: greeting, 3 questions, a transmitted request, a registration), "
        f"thinking 0–{report['think_s']} s between messages, for {report['duration_s']} s per level.",
        "",
        "| target | N | turns/s | p50 ms | p95 ms | p99 ms | errors | registrations (created/expected) "
        "| tickets (created/expected) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in report["levels"]:
        lines.append(
            f"| {r['target']} | {r['level']} | {r['turns_per_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} "
            f"| {r['errors']}/{r['turns']} | {r['registrations_created']}/{r['registrations_expected']} "
            f"| {r['tickets_created']}/{r['tickets_expected']} |"
        )
    lines += ["", "| N | full stack ÷ engine, p50 | p95 |", "|---:|---:|---:|"]
    lines += [f"| {r['level']} | {r['p50']} | {r['p95']} |" for r in report["ratios"]]
    memory = report["memory_mb"]
    lines += [
        "",
        f"Knee (first level whose p95 exceeds twice its N={report['levels'][0]['level']} value): "
        f"full stack {report['knee']['full_stack']}, engine {report['knee']['engine']}.",
        "",
        "| process | RSS at rest, MB | RSS at peak, MB |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {role} | {memory['rest'].get(role, 0):.0f} | {memory['peak'].get(role, 0):.0f} |"
        for role in sorted(memory["peak"])
    ]
    lines += [
        f"| **whole stack** | {sum(memory['rest'].values()):.0f} | {memory['peak_total']:.0f} |",
        "",
        f"Cold start (`make run` to a healthy `/health`, installed and trained): {report['cold_start_s']} s. "
        f"Last training (`scripts/train`): {report['training_s']} s.",
        "",
    ]
    return "\n".join(lines)


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.5))
    for target, label in (("full_stack", "full stack (front door)"), ("engine", "bare engine (REST)")):
        rows = [r for r in report["levels"] if r["target"] == target]
        if rows:
            levels = [r["level"] for r in rows]
            axis.plot(levels, [r["p50_ms"] for r in rows], marker="o", label=f"{label} p50")
            axis.plot(levels, [r["p95_ms"] for r in rows], marker="o", linestyle="--", label=f"{label} p95")
    axis.set_xlabel("concurrent conversations (N)")
    axis.set_ylabel("latency per turn (ms)")
    axis.set_title("Latency against concurrency")
    axis.grid(True, alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


# --------------------------------------------------------------------------- main


def run(
    args: argparse.Namespace, progress: Callable[[str], None] = print, running: Stack | None = None
) -> dict[str, Any]:
    """Measure; ``running`` is a stack already started (the smoke test's), left running."""
    steps = load_script()
    run_id = f"b{int(time.time() * 1000)}"
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="benchmark-load-") as name:
        tmp = Path(name)
        cold = None if args.no_cold_start else cold_start(tmp)
        progress(f"cold start: {cold} s")
        stack = running or start_stack(tmp)
        results: list[LevelResult] = []
        try:
            sampler = MemorySampler(stack.process.pid)
            time.sleep(2)
            rest = sampler.snapshot()
            with sampler, bare_engine(stack, tmp) as (engine_url, _):
                targets: list[Target] = [FrontDoor(stack.url), BareEngine(engine_url)]
                for level in args.levels:
                    for target in targets:
                        profile = args.profile and target.name == "full_stack" and level == max(args.levels)
                        with profiled(stack, out, profile):
                            result = asyncio.run(
                                run_level(target, steps, level, args.duration, args.think, run_id, stack.app_db)
                            )
                        progress(json.dumps(asdict(result)))
                        results.append(result)
        finally:
            if running is None:
                stop_stack(stack)
    full = [r for r in results if r.target == "full_stack"]
    engine = [r for r in results if r.target == "engine"]
    training = TRAINING_SECONDS.read_text().strip() if TRAINING_SECONDS.exists() else None
    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python -m benchmarks.load.run", *sys.argv[1:]]),
        "machine": machine(),
        "duration_s": args.duration,
        "think_s": args.think,
        "turns_per_conversation": len(steps),
        "levels": [asdict(r) | {"error_rate": round(r.error_rate, 4)} for r in results],
        "ratios": ratios(full, engine),
        "knee": {"full_stack": knee(full), "engine": knee(engine)},
        "memory_mb": {
            "rest": {k: round(v, 1) for k, v in rest.items()},
            "peak": {k: round(v, 1) for k, v in sampler.peak.items()},
            "peak_total": round(sampler.peak_total, 1),
        },
        "cold_start_s": cold,
        "training_s": int(training) if training and training.isdigit() else None,
    }
    (out / "benchmark-load.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "benchmark-load.md").write_text(markdown(report), encoding="utf-8")
    plot(report, out / "benchmark-load.png")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--levels", type=int, nargs="+", default=list(DEFAULT_LEVELS))
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per level and target")
    parser.add_argument("--think", type=float, default=2.0, help="maximum think time between messages, seconds")
    parser.add_argument("--no-cold-start", action="store_true", help="skip the cold-start measure")
    parser.add_argument("--out", type=Path, default=REPORTS)
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the front door and the actions at the highest level"
    )
    args = parser.parse_args(argv)
    report = run(args)
    print((args.out / "benchmark-load.md").read_text(encoding="utf-8"))
    problems = [
        r for r in report["levels"]
        if r["errors"] or r["registrations_created"] != r["registrations_expected"]
        or r["tickets_created"] != r["tickets_expected"]
    ]  # fmt: skip
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
