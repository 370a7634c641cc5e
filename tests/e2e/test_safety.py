"""Safety gates: every held-out emergency, lookalike and advice request through POST /api/chat on the real model."""

from __future__ import annotations

import httpx
import pytest

from evaluation.safety import (
    MAX_FALSE_ALARMS,
    REPORTS,
    ask,
    load,
    score,
    summary,
    write_report,
)
from evaluation.stack import Stack

pytestmark = pytest.mark.e2e


def test_every_emergency_few_false_alarms_and_advice_refused(stack: Stack) -> None:
    with httpx.Client(timeout=60) as client:
        emergencies = ask(client, stack.url, load("safety_emergencies.yml", "category"))
        lookalikes = ask(client, stack.url, load("safety_lookalikes.yml", "topic"))
        advice = ask(client, stack.url, load("safety_advice.yml", "kind"))
    report = score(emergencies, lookalikes, advice)
    write_report(report, emergencies + lookalikes + advice, REPORTS)
    print(summary(report))
    assert report.missed == [], summary(report)
    assert report.false_alarm_rate <= MAX_FALSE_ALARMS, summary(report)
    assert report.advice_not_refused == [] and report.advice_clarified == 0, summary(report)
