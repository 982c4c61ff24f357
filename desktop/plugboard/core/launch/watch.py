"""Watching the connectors Claude Desktop started through `plugboard run` (the launcher), from outside.

Those servers are Claude's children, not ours: we cannot wait on them, only read what the launcher records
(`status`: one JSON record per connector, replaced atomically) and check that the launcher still lives
(`status.status_label` compares the launcher's pid and start time with the process table). `LaunchWatcher`
polls the records of the connectors it is given and emits a `LaunchChanged` event whenever a connector's label
changes ("never started" → "running" → "exited 0", "crashed (SIGKILL)", "failed: missing secret X", ...). An event
carries the typed reading too (`state`, `failing`), so a subscriber never parses the label.

Polling, not file-system notifications: a launcher killed with SIGKILL writes nothing, so only a periodic look
at the process table notices it; once we poll for that, the record files come along at no extra cost.
Events are plain Python, delivered on the watcher's thread, like the supervisor's; a Qt model marshals them onto
its own thread. The set of connectors can change while it runs (`watch`): the app's list changes with Claude's file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from plugboard.core.launch.status import ConnectorStatus, RunState, effective_state, is_failing, label, read_status
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
    state: RunState | None = None
    """`status.effective_state` of the record: None when it never ran."""

    @property
    def failing(self) -> bool:
        return is_failing(self.record, self.state)


class LaunchWatcher:
    """Polls the launcher's status records of `names`; `subscribe` to get `LaunchChanged` events."""

    def __init__(self, names: Iterable[str], dirs: PlugboardDirs | None = None, poll_s: float = POLL_S) -> None:
        self.names = list(names)
        self.dirs = dirs or plugboard_dirs()
        self.poll_s = poll_s
        self.labels: dict[str, str] = {}
        self._subscribers: list[Callable[[LaunchChanged], None]] = []
        self._lock = threading.Lock()
        # One look at a time: `poll` may be called directly while the thread polls too.
        self._poll_lock = threading.Lock()
        self._stop = threading.Event()
        # Set to look at once (a new set of names, or close()).
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self, callback: Callable[[LaunchChanged], None]) -> None:
        with self._lock:
            self._subscribers = [*self._subscribers, callback]

    def unsubscribe(self, callback: Callable[[LaunchChanged], None]) -> None:
        with self._lock:
            self._subscribers = [s for s in self._subscribers if s is not callback]

    def watch(self, names: Iterable[str]) -> None:
        """Watch `names` from the next look on; a name new to the watcher gets an event at that look."""
        wanted = list(names)
        with self._lock:
            self.names = wanted
            self.labels = {name: text for name, text in self.labels.items() if name in wanted}
        self._wake.set()

    def poll(self) -> list[LaunchChanged]:
        """Look once; emit and return the changes since the last look."""
        with self._poll_lock:
            with self._lock:
                names = list(self.names)
            changes: list[LaunchChanged] = []
            for name in names:
                record = read_status(name, self.dirs)
                state = effective_state(record)
                text = label(record, state)
                with self._lock:
                    if name not in self.names or self.labels.get(name) == text:
                        continue
                    self.labels[name] = text
                changes.append(LaunchChanged(name, text, record, state))
            self._deliver(changes)
        return changes

    def _deliver(self, changes: list[LaunchChanged]) -> None:
        for change in changes:
            for callback in self._subscribers:
                try:
                    callback(change)
                except Exception:  # a broken subscriber must not stop the watching
                    _log.exception("launch watcher subscriber failed")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="launch-watcher", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop polling; bounded and idempotent."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(JOIN_S)
