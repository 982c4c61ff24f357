"""Reconnect pacing: exponential backoff with jitter and a cap, only while attempts fail.

FACTS.md §C.6 and §B.15.

Delay for attempt n (1-based) is `min(cap, first * 2**(n-1))` scaled by a random factor in [1 - jitter, 1], so
many Plugboard tunnels dropped by the same Wi-Fi outage do not hammer a server in step.

`Retries` applies it to one owner that reconnects (a tunnel): a connection that was up for `stable_after_s` and
then dropped is retried at once, and the count of failures starts again — backoff is for attempts that fail, not
for drops (issue 16: resetting only after 120 s up made drops a minute apart cost 43–60 s each). A connection that
drops sooner than that counts as a failed attempt, so a server that accepts and drops us at once is not hit in a
tight loop (python-sdk#2393 reset on every success and looped forever).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

# First retry after 1 s: a dropped Wi-Fi usually comes back within seconds and users expect a quick recovery.
DEFAULT_FIRST_S = 1.0
# At most a minute between tries: long enough not to burden a server that is down, short enough that a laptop
# waking from sleep gets its tunnel back without the user doing anything.
DEFAULT_CAP_S = 60.0
DEFAULT_JITTER = 0.3
# Up for two seconds counts as a working connection: its drop is retried at once. A server that drops us sooner is
# refusing us (a crashing sshd, a rate limit) and gets the backoff; drops "a few seconds apart" (Wi-Fi roaming, a
# restarted session) each recover in one reconnect.
DEFAULT_STABLE_AFTER_S = 2.0


@dataclass(frozen=True)
class Backoff:
    first_s: float = DEFAULT_FIRST_S
    cap_s: float = DEFAULT_CAP_S
    jitter: float = DEFAULT_JITTER
    stable_after_s: float = DEFAULT_STABLE_AFTER_S

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        base = min(self.cap_s, self.first_s * 2 ** max(0, attempt - 1))
        factor = 1.0 - self.jitter * (rng or random).random()
        return float(base * factor)


class Retries:
    """The failure count of one reconnecting owner, and the wait before its next try. Not thread-safe: one owner's
    supervisor thread uses it."""

    def __init__(self, backoff: Backoff, clock: Callable[[], float] = time.monotonic) -> None:
        self.backoff = backoff
        self.failures = 0
        self._clock = clock
        self._up_since: float | None = None

    def up(self) -> None:
        """The connection is up (and proved working)."""
        self._up_since = self._clock()

    def next_wait(self) -> float:
        """The connection attempt failed, or the connection ended: how long to wait before the next try."""
        up_since, self._up_since = self._up_since, None
        if up_since is not None and self._clock() - up_since >= self.backoff.stable_after_s:
            self.failures = 0
            return 0.0
        self.failures += 1
        return self.backoff.delay(self.failures)
