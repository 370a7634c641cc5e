"""Quality gate: the realistic held-out set through POST /api/chat on the real model."""

from __future__ import annotations

import httpx
import pytest

from evaluation.heldout import REPORTS
from evaluation.realistic import (
    MIN_RIGHT_AT_ONCE,
    ask_realistic,
    load_realistic,
    realistic_summary,
    score_realistic,
    write_realistic_reports,
)
from evaluation.stack import Stack

pytestmark = pytest.mark.e2e


def test_realistic_messages_are_answered_right_at_once(stack: Stack) -> None:
    with httpx.Client(timeout=30) as client:
        report = score_realistic(ask_realistic(client, stack.url, load_realistic()))
    write_realistic_reports(report, REPORTS)
    print(realistic_summary(report))
    assert report.overall.right >= MIN_RIGHT_AT_ONCE, realistic_summary(report)
