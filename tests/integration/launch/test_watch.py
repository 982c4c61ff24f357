"""Watching a connector Claude started through `plugboard run`: the watcher follows the launcher's record from
"never started" to "running" to "exited 0", and notices a launcher killed with SIGKILL as "crashed"."""

from __future__ import annotations

import sys
import threading

from integration.launcher_helpers import ENV_SERVER, finish, read_until, start_launcher
from plugboard.core.launch.watch import LaunchChanged, LaunchWatcher

# The launcher plus an SDK server start in ~1 s here; 20 s covers a loaded 2-core machine.
WATCH_DEADLINE_S = 20.0
# Poll quickly in tests: the interval is not what is tested.
FAST_POLL_S = 0.05


class Labels:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self._cond = threading.Condition()

    def __call__(self, change: LaunchChanged) -> None:
        with self._cond:
            self.seen.append(change.label)
            self._cond.notify_all()

    def wait(self, label: str) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: label in self.seen, WATCH_DEADLINE_S)


def test_the_watcher_follows_a_launched_server_from_start_to_a_clean_exit() -> None:
    watcher = LaunchWatcher(["watched"], poll_s=FAST_POLL_S)
    labels = Labels()
    watcher.subscribe(labels)
    watcher.start()
    proc = start_launcher("watched", [sys.executable, str(ENV_SERVER)])
    try:
        read_until(proc, b"env_server ready")
        assert labels.wait("running"), labels.seen
        code, _out, _err = finish(proc)
        assert code == 0
        assert labels.wait("exited 0"), labels.seen
    finally:
        if proc.poll() is None:
            finish(proc)
        watcher.close()
    assert labels.seen == ["never started", "running", "exited 0"]
    watcher.close()  # idempotent


def test_a_launcher_killed_outright_reads_as_crashed() -> None:
    import signal

    proc = start_launcher("killed", [sys.executable, str(ENV_SERVER)])
    watcher = LaunchWatcher(["killed"], poll_s=FAST_POLL_S)
    labels = Labels()
    watcher.subscribe(labels)
    try:
        read_until(proc, b"env_server ready")
        watcher.start()
        assert labels.wait("running"), labels.seen
        proc.send_signal(signal.SIGKILL)
        finish(proc)
        assert labels.wait("crashed"), labels.seen
    finally:
        if proc.poll() is None:
            finish(proc)
        watcher.close()
