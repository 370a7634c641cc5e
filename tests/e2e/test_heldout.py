"""Quality gates: the held-out set through POST /api/chat on the real model."""

from __future__ import annotations

import httpx
import pytest

from evaluation.heldout import MIN_ACCURACY, REPORTS, ask, load_heldout, score, summary, write_reports
from evaluation.stack import Stack

pytestmark = pytest.mark.e2e


def test_heldout_accuracy_and_every_emergency(stack: Stack) -> None:
    examples = load_heldout()
    with httpx.Client(timeout=30) as client:
        outcomes = ask(client, stack.url, examples)
    report = score(outcomes)
    write_reports(report, outcomes, REPORTS)
    print(summary(report))
    assert not report.emergencies_missed, f"emergencies missed: {report.emergencies_missed}"
    assert report.accuracy >= MIN_ACCURACY, summary(report)
