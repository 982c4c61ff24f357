"""Watching the connectors Claude Desktop started through `plugboard run` (the launcher), from outside.

Those servers are Claude's children, not ours: we cannot wait on them, only read what the launcher records
(`status`: one JSON record per connector, replaced atomically) and check that the launcher still lives
(`status.status_label` compares the launcher's pid and start time with the process table). `LaunchWatcher`
polls the records of the connectors it is given and emits a `LaunchChanged` event whenever a connector's label
changes ("never started" → "running" → "exited 0", "crashed (SIGKILL)", "failed: missing secret X", ...).

Polling, not file-system notifications: a launcher killed with SIGKILL writes nothing, so only a periodic look
at the process table notices it; once we poll for that, the record files come along at no extra cost.
Events are plain Python, delivered on the watcher's thread, like the supervisor's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from plugboard.core.launch.status import ConnectorStatus, read_status, status_label
from plugboard.core.paths import PlugboardDirs, plugboard_dirs

_log = logging.getLogger(__name__)

# Twice a second: a user who just clicked "restart Claude" sees the state change almost at once, and reading a
# few small JSON files and one process-table entry each time costs well under a millisecond.
POLL_S = 0.5
# close() waits this long for the thread; one poll takes milliseconds, so this only bounds a stuck disk.
JOIN_S = 2.0


@dataclass(frozen=True)
class LaunchChanged:
    name: str
    label: str
    record: ConnectorStatus | None


class LaunchWatcher:
    """Polls the launcher's status records of `names`; `subscribe` to get `LaunchChanged` events."""

    def __init__(self, names: Iterable[str], dirs: PlugboardDirs | None = None, poll_s: float = POLL_S) -> None:
        self.names = list(names)
        self.dirs = dirs or plugboard_dirs()
        self.poll_s = poll_s
        self.labels: dict[str, str] = {}
        self._subscribers: list[Callable[[LaunchChanged], None]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self, callback: Callable[[LaunchChanged], None]) -> None:
        with self._lock:
            self._subscribers = [*self._subscribers, callback]

    def unsubscribe(self, callback: Callable[[LaunchChanged], None]) -> None:
        with self._lock:
            self._subscribers = [s for s in self._subscribers if s is not callback]

    def poll(self) -> list[LaunchChanged]:
        """Look once; emit and return the changes since the last look."""
        changes: list[LaunchChanged] = []
        for name in self.names:
            record = read_status(name, self.dirs)
            label = status_label(record)
            if self.labels.get(name) != label:
                self.labels[name] = label
                changes.append(LaunchChanged(name, label, record))
        for change in changes:
            for callback in self._subscribers:
                try:
                    callback(change)
                except Exception:  # a broken subscriber must not stop the watching
                    _log.exception("launch watcher subscriber failed")
        return changes

    def _run(self) -> None:
        while True:
            self.poll()
            if self._stop.wait(self.poll_s):
                return

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="launch-watcher", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop polling; bounded and idempotent."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(JOIN_S)
