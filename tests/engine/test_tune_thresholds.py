"""bot/tune_thresholds.py: when the tuned pair replaces the thresholds in config.yml."""

from __future__ import annotations

from typing import Any

from bot.tune_thresholds import MIN_ANSWERED_RIGHT, MIN_GAIN, worth_writing


def result(utility: float, right: float = 0.95) -> dict[str, Any]:
    return {"utility": utility, "heldout_answered_right": right}


def test_a_gain_smaller_than_one_message_keeps_the_thresholds_in_config() -> None:
    assert not worth_writing(result(361.197), result(361.103))
    assert not worth_writing(result(100.0 + MIN_GAIN / 2), result(100.0))


def test_a_real_gain_or_a_failed_gate_writes_the_best_pair() -> None:
    assert worth_writing(result(100.0 + MIN_GAIN), result(100.0))
    assert worth_writing(result(100.0), result(100.0, right=MIN_ANSWERED_RIGHT - 0.01))
