"""SSH drops under continuous calls (issue 16: "30 SSH kills a few seconds apart under continuous calls"), shared by
the slow test and the benchmark.

One thread makes `tools/call add` through a `RawProxy` one after another, as fast as answers come; the caller's
thread kills the SSH connection (`kill()`, e.g. SIGKILL to sshd's session processes) every `interval_s`. Per drop,
"recovered after" is the time from the kill to the first successful answer that arrived after it; a call answered
with an error is "lost".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from servers.raw_proxy import RawProxy, call

# One call through a working tunnel takes milliseconds; a call that has no answer after this is stuck.
CALL_DEADLINE_S = 30.0
# How long to wait for a session to kill when the tunnel is still reconnecting (the old pacing waited up to 60 s),
# and how often to look.
SESSION_WAIT_S = 120.0
KILL_POLL_S = 0.05


@dataclass
class DropReport:
    recoveries_s: list[float] = field(default_factory=list)  # per drop; inf when nothing succeeded after it
    calls: int = 0
    lost: int = 0
    errors: list[str] = field(default_factory=list)


def run_drops(proxy: RawProxy, kill: Callable[[], int], drops: int, interval_s: float) -> DropReport:
    report = DropReport()
    successes: list[float] = []  # arrival times of successful answers
    stop = threading.Event()
    lock = threading.Lock()

    def caller() -> None:
        request_id = 1000
        while not stop.is_set():
            request_id += 1
            proxy.send(call(request_id, "add", a=request_id, b=1))
            answer = proxy.answer(request_id, CALL_DEADLINE_S)
            with lock:
                report.calls += 1
                if "result" in answer and answer["result"]["content"][0]["text"] == str(request_id + 1):
                    successes.append(time.monotonic())
                else:
                    report.lost += 1
                    report.errors.append(str(answer.get("error", answer))[:200])

    thread = threading.Thread(target=caller, name="drops-caller")
    thread.start()
    try:
        kills: list[float] = []
        for _drop in range(drops):
            stop.wait(interval_s)
            # A tunnel still backing off from the last drop has no session to kill yet: wait for it (bounded).
            deadline = time.monotonic() + SESSION_WAIT_S
            while kill() == 0:
                assert time.monotonic() < deadline, "no SSH session came back to kill"
                stop.wait(KILL_POLL_S)
            kills.append(time.monotonic())
        stop.wait(interval_s)
    finally:
        stop.set()
        thread.join(CALL_DEADLINE_S)
    for killed in kills:
        after = [t for t in successes if t > killed]
        report.recoveries_s.append(min(after) - killed if after else float("inf"))
    return report
