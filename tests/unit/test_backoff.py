"""Reconnect pacing: doubling, jitter inside its band, a cap; backing off only while attempts fail."""

from __future__ import annotations

import random

from plugboard.core.backoff import Backoff, Retries


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


class Clock:
    """A clock the test moves by hand (no sleeping)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _up_for(retries: Retries, clock: Clock, seconds: float) -> None:
    retries.up()
    clock.now += seconds


def test_a_connection_that_worked_is_retried_at_once_when_it_drops() -> None:
    clock = Clock()
    retries = Retries(Backoff(first_s=1.0, cap_s=60.0, jitter=0.0, stable_after_s=2.0), clock)
    for _drop in range(30):  # thirty drops a few seconds apart: every one reconnects at once
        _up_for(retries, clock, 3.0)
        assert retries.next_wait() == 0.0
    # The immediate try failed (the network is really down): now it backs off, doubling.
    assert [retries.next_wait() for _ in range(4)] == [1.0, 2.0, 4.0, 8.0]
    _up_for(retries, clock, 3.0)
    assert retries.next_wait() == 0.0  # and a working connection starts the count again


def test_a_connection_dropped_right_after_coming_up_keeps_backing_off() -> None:
    clock = Clock()
    retries = Retries(Backoff(first_s=1.0, cap_s=60.0, jitter=0.0, stable_after_s=2.0), clock)
    waits = []
    for _flap in range(5):  # a server that accepts and drops us at once is not hit in a tight loop
        _up_for(retries, clock, 0.5)
        waits.append(retries.next_wait())
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_the_default_counts_a_few_seconds_up_as_working() -> None:
    assert Backoff().stable_after_s <= 3.0
