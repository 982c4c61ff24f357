"""Where one connector's log lines come from, and how to read them now and follow them live.

The three sources of `log_model` for connector NAME:

- supervisor: `<logs>/NAME.supervised.log` (+ rotated), written by `supervisor.Supervisor` (doctor, the app);
- launcher: `<logs>/NAME.log` (+ rotated), written by `plugboard run` (`connector_log`);
- claude: Claude Desktop's `mcp-server-NAME.log` in its log folder (`discovery.logs_dir`).

`connector_model` loads the history of all three merged by time into a `LogModel`; `LiveSources` then tails
the same files (surviving rotation and truncation, `log_model.FileTail`) and appends what is new. The GUI uses
the same pair; a running `Supervisor` can feed the model directly too (its `LogBatch` events).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plugboard.core import claude_logs
from plugboard.core.connector_log import rotated_paths
from plugboard.core.log_model import (
    CLAUDE,
    FOLLOW_POLL_S,
    LAUNCHER,
    SUPERVISOR,
    FileTail,
    LineSplitter,
    LogLine,
    LogModel,
    follow,
    read_history,
    stamped_lines,
)
from plugboard.core.paths import PlugboardDirs, plugboard_dirs
from plugboard.core.redact import Redactor
from plugboard.core.supervisor import supervised_log_name


@dataclass(frozen=True)
class LogSource:
    source: str  # SUPERVISOR | LAUNCHER | CLAUDE
    path: Path

    def history(self) -> list[LogLine]:
        if self.source == CLAUDE:
            return claude_logs.server_log_lines(self.path.parent, _claude_name(self.path))
        return stamped_lines(read_history(self.path, rotated_paths(self.path)), self.source)

    def parse_new(self, raw: list[bytes]) -> list[LogLine]:
        if self.source == CLAUDE:
            return claude_logs.parse_new(raw, self.path, _claude_name(self.path))
        return stamped_lines(raw, self.source, fallback=time.time())


def _claude_name(path: Path) -> str:
    return path.name.removeprefix("mcp-server-").removesuffix(".log")


def connector_sources(name: str, *, logs_dir: Path | None, dirs: PlugboardDirs | None = None) -> list[LogSource]:
    dirs = dirs or plugboard_dirs()
    sources = [
        LogSource(SUPERVISOR, dirs.connector_log(supervised_log_name(name))),
        LogSource(LAUNCHER, dirs.connector_log(name)),
    ]
    if logs_dir is not None:
        sources.append(LogSource(CLAUDE, claude_logs.server_log_path(logs_dir, name)))
    return sources


def connector_model(
    name: str,
    sources: list[LogSource],
    *,
    redactor: Redactor | None = None,
    since: float | None = None,
    capacity: int | None = None,
) -> LogModel:
    """A model holding the merged history of `sources` (lines at or after `since`)."""
    model = LogModel(name, redactor=redactor) if capacity is None else LogModel(name, capacity, redactor)
    model.load_history([s.history() for s in sources], since=since)
    return model


class LiveSources:
    """Tails every source from its current end and appends new lines to the model, until `close()`."""

    def __init__(self, model: LogModel, sources: list[LogSource], poll_s: float = FOLLOW_POLL_S) -> None:
        self.model = model
        self._stop = threading.Event()
        self._poll_s = poll_s
        self._tails: list[tuple[FileTail, Callable[[bytes], None]]] = [
            (FileTail(s.path, from_start=False), self._handler(s)) for s in sources
        ]
        self._thread: threading.Thread | None = None

    def _handler(self, source: LogSource) -> Callable[[bytes], None]:
        splitter = LineSplitter()

        def handle(data: bytes) -> None:
            self.model.append(self.model.redact_lines(source.parse_new(splitter.feed(data))))

        return handle

    def poll_once(self) -> None:
        """Read every tail once (for callers that drive the loop themselves)."""
        for tail, handle in self._tails:
            data = tail.read()
            if data:
                handle(data)

    def run(self) -> None:
        """Follow on the calling thread until `close()` (from another thread) or KeyboardInterrupt."""
        follow(self._tails, self._stop, self._poll_s)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"logs-{self.model.name}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(max(1.0, self._poll_s * 4))
        for tail, _handle in self._tails:
            tail.close()
