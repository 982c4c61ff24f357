"""Reconnect pacing: exponential backoff with jitter and a cap, reset after a stable period.

FACTS.md §C.6 and §B.15.

Delay for attempt n (1-based) is `min(cap, first * 2**(n-1))` scaled by a random factor in [1 - jitter, 1], so
many Plugboard tunnels dropped by the same Wi-Fi outage do not hammer a server in step. The counter restarts
only after a connection stayed up for `stable_after_s`; a connection that drops right after coming up keeps
backing off, so a flapping server is not hit in a tight loop (python-sdk#2393 reset on every success and
looped forever).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# First retry after 1 s: a dropped Wi-Fi usually comes back within seconds and users expect a quick recovery.
DEFAULT_FIRST_S = 1.0
# At most a minute between tries: long enough not to burden a server that is down, short enough that a laptop
# waking from sleep gets its tunnel back without the user doing anything.
DEFAULT_CAP_S = 60.0
DEFAULT_JITTER = 0.3
# Up for two minutes counts as healthy again; the next drop starts from the first, short delay.
DEFAULT_STABLE_AFTER_S = 120.0


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
