"""Reconnect pacing: doubling, jitter inside its band, a cap."""

from __future__ import annotations

import random

from plugboard.core.backoff import Backoff


def test_delays_double_from_the_first_and_stop_at_the_cap():
    backoff = Backoff(first_s=1.0, cap_s=10.0, jitter=0.0)
    assert [backoff.delay(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_jitter_only_shortens_and_stays_within_its_band():
    backoff = Backoff(first_s=4.0, cap_s=60.0, jitter=0.5)
    rng = random.Random(7)
    delays = [backoff.delay(1, rng) for _ in range(200)]
    assert all(2.0 <= d <= 4.0 for d in delays)
    assert len({round(d, 3) for d in delays}) > 50  # actually random, so tunnels do not retry in step


def test_defaults_are_a_quick_first_retry_and_at_most_a_minute():
    backoff = Backoff()
    assert backoff.delay(1) <= 1.0
    assert backoff.delay(50) <= 60.0
