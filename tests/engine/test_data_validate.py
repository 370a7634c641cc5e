"""``rasa data validate`` passes with no warning on the project's domain and data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_rasa_data_validate_reports_no_warning() -> None:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", PYTHONWARNINGS="default")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "data",
            "validate",
            "--domain",
            "bot/domain",
            "--data",
            "data",
            "--config",
            "config.yml",
            "--fail-on-warnings",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    problems = [line for line in output.splitlines() if "UserWarning" in line or " WARNING " in line]
    assert problems == [], "\n".join(problems)
