"""`make benchmark-nlu` end to end, tiny: 1 epoch, 2 utterances per intent, into a tmp dir (engine env)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.nlu import run


def test_benchmark_runs_and_reports_both_pipelines(tmp_path: Path) -> None:
    data = run.DATA_DIR
    missing = [data / name for name in (run.TRAIN_FILE, run.TEST_FILE) if not (data / name).is_file()]
    if missing:
        pytest.skip(f"external NLU benchmark data not found: {', '.join(map(str, missing))}")

    assert run.main(["--epochs", "1", "--limit", "2", "--no-assistant", "--out", str(tmp_path)]) == 0

    report = json.loads((tmp_path / "benchmark-nlu.json").read_text(encoding="utf-8"))
    assert set(report["pipelines"]) == {"ours", "anchor"}
    for result in report["pipelines"].values():
        assert 0.0 <= result["accuracy"] <= 1.0
        assert 0.0 <= result["clean"]["macro_f1"] <= 1.0
        assert 0.0 <= result["typos"]["accuracy"] <= 1.0
        assert result["n_test"] == 2 * report["meta"]["n_intents"]
        assert result["model_mb"] > 0 and result["train_seconds"] > 0
    assert report["pipelines"]["ours"]["has_fallback"] is True
    assert sorted(report["intent_mapping"].values()) == [f"i{n:02d}" for n in range(report["meta"]["n_intents"])]
    markdown = (tmp_path / "benchmark-nlu.md").read_text(encoding="utf-8")
    assert "| ours (`config.yml`)" in markdown and "| anchor (" in markdown
