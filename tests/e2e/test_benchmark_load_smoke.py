"""The load benchmark's harness, run in seconds so that it cannot rot: one visitor, no think
time, one conversation on the full stack and one on a bare engine, records checked."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from benchmarks.load.run import load_script, run
from evaluation.stack import Stack

pytestmark = pytest.mark.e2e


def test_the_load_benchmark_runs_and_counts_its_records(stack: Stack, tmp_path: Path) -> None:
    args = argparse.Namespace(levels=[1], duration=0.5, think=0.0, no_cold_start=True, out=tmp_path, profile=False)
    report = run(args, progress=lambda line: None, running=stack)
    levels = {r["target"]: r for r in report["levels"]}
    assert set(levels) == {"full_stack", "engine"}
    turns = len(load_script())
    for result in levels.values():
        assert result["errors"] == 0, result
        assert result["turns"] == turns * result["conversations"] and result["conversations"] >= 1
        assert result["registrations_created"] == result["registrations_expected"] == result["conversations"]
        assert result["tickets_created"] == result["tickets_expected"] == result["conversations"]
        assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"]
    assert report["memory_mb"]["peak"]["engine"] > 100
    assert json.loads((tmp_path / "benchmark-load.json").read_text())["ratios"][0]["level"] == 1
    assert "| full_stack | 1 |" in (tmp_path / "benchmark-load.md").read_text()
    assert (tmp_path / "benchmark-load.png").stat().st_size > 10_000
