"""Helpers shared by the tests: the engine token, Chromium, and waiting on a condition."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

#: The token between the faked (or real) engine and the front door in tests.
TOKEN = "test-token-0123456789abcdef"
#: Debian's chromium, or the one named by CHROMIUM.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0, what: str = "condition") -> None:
    """Poll ``condition`` until it holds; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.05)


def wait_until_quiet(path: Path, quiet_s: float = 1.0, timeout_s: float = 15.0) -> None:
    """Wait until the file at ``path`` has stopped growing for ``quiet_s`` (its writers have flushed)."""
    last = (-1, time.monotonic())

    def quiet() -> bool:
        nonlocal last
        size = path.stat().st_size
        if size != last[0]:
            last = (size, time.monotonic())
            return False
        return time.monotonic() - last[1] >= quiet_s

    wait_until(quiet, timeout_s, f"{path} to stop growing")
