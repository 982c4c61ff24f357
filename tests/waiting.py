"""Waiting in tests on a condition other threads bring about, with a deadline (never a bare sleep)."""

from __future__ import annotations

import time
from collections.abc import Callable

# How often the condition is looked at: often enough that a test waits ~nothing after it holds.
POLL_S = 0.005


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> None:
    """Return once `predicate()` holds; fail the test if it still does not after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(POLL_S)
