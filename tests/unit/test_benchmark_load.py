"""The load benchmark's pure parts: the script, percentiles, ratios and the knee."""

from __future__ import annotations

import os

from benchmarks.load.run import LevelResult, knee, load_script, percentile, ratios


def result(target: str, level: int, p50: float, p95: float) -> LevelResult:
    return LevelResult(target, level, 60.0, 100, 0, 1.7, p50, p95, p95, 5, 5, 5, 5, 5)


def test_the_script_has_a_transmission_and_a_registration() -> None:
    steps = load_script()
    assert [s.expect for s in steps if s.expect] == ["TK-", "PP-"]
    assert sum("{email}" in (s.say or "") for s in steps) == 2


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.0, 95.0, 99.0)
    assert percentile([], 50) == 0.0


def test_ratios_and_knee() -> None:
    full = [result("full_stack", 1, 60, 100), result("full_stack", 5, 70, 150), result("full_stack", 10, 90, 250)]
    engine = [result("engine", 1, 50, 100), result("engine", 5, 70, 120), result("engine", 10, 80, 180)]
    assert ratios(full, engine) == [
        {"level": 1, "p50": 1.2, "p95": 1.0},
        {"level": 5, "p50": 1.0, "p95": 1.25},
        {"level": 10, "p50": 1.12, "p95": 1.39},
    ]
    assert knee(full) == 10 and knee(engine) is None


def test_stack_memory_counts_a_child_without_a_role_for_its_ancestor() -> None:
    """The action server's Sanic worker (a multiprocessing spawn child) is the action server's memory."""
    import subprocess
    import sys

    from benchmarks.load.run import rss_mb, stack_memory

    # a process whose command line names the action server, and its child, whose command line names
    # nothing; the child says "ready" once started, then waits on its standard input
    child_code = "print('ready', flush=True); input()"
    script = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child_code!r}])"
    parent = subprocess.Popen(
        [sys.executable, "-c", script, "actions.serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
        [child] = [int(p) for p in os.listdir("/proc") if p.isdigit() and _parent(int(p)) == parent.pid]
        memory = stack_memory(parent.pid)
        assert set(memory) == {"actions"}
        both = rss_mb(parent.pid) + rss_mb(child)
        assert abs(memory["actions"] - both) < 2.0
        assert rss_mb(child) > 2.0  # so the sum differs from the parent's own
    finally:
        parent.kill()
        parent.wait()


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return None
