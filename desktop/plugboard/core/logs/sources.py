"""Where one connector's log lines come from, and how to read them now and follow them live.

The three sources of `logs.model` for connector NAME:

- supervisor: `<logs>/NAME.supervised.log` (+ rotated), written by `supervisor.Supervisor` (doctor, the app);
- launcher: `<logs>/NAME.log` (+ rotated), written by `plugboard run` (`connector_log`);
- claude: Claude Desktop's `mcp-server-NAME.log` in its log folder (`discovery.logs_dir`), its last
  `claude_desktop.TAIL_BYTES` only.

`open_connector_log` opens one `FileTail` per source *first* and takes the history from the tails' first read
(plus the rotated files before them), so no line written while the history loads is lost or shown twice. The
returned `LiveSources` keeps reading the same tails (surviving rotation and truncation) and appends what is
new. The GUI uses the same pair; a running `Supervisor` can feed the model directly too (its `LogBatch`
events).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from plugboard.core.logs import claude_desktop as claude_logs
from plugboard.core.logs.connector_log import rotated_paths, supervised_log_name
from plugboard.core.logs.model import (
    CLAUDE,
    FOLLOW_POLL_S,
    LAUNCHER,
    SUPERVISOR,
    FileTail,
    LineSplitter,
    LogLine,
    LogModel,
    follow,
    stamped_lines,
)
from plugboard.core.logs.redact import Redactor
from plugboard.core.paths import PlugboardDirs, plugboard_dirs

if TYPE_CHECKING:
    from plugboard.core.config.connectors import Connector, Connectors


@dataclass(frozen=True)
class LogSource:
    source: str  # SUPERVISOR | LAUNCHER | CLAUDE
    path: Path

    @property
    def _claude_name(self) -> str:
        return self.path.name.removeprefix("mcp-server-").removesuffix(".log")

    def rotated(self) -> list[Path]:
        return [] if self.source == CLAUDE else rotated_paths(self.path)

    def open_tail(self) -> FileTail:
        backlog = claude_logs.TAIL_BYTES if self.source == CLAUDE else None
        return FileTail(self.path, rotated=self.rotated(), backlog=backlog)

    def older_lines(self) -> list[LogLine]:
        """Lines of the rotated files (the tail starts with the current file)."""
        if self.source == CLAUDE:
            return []
        older: list[bytes] = []
        for path in reversed(self.rotated()):
            with contextlib.suppress(OSError):
                older += path.read_bytes().splitlines()
        return stamped_lines(older, self.source)

    def parse(self, raw: list[bytes]) -> list[LogLine]:
        if self.source == CLAUDE:
            return claude_logs.parse_new(raw, self.path, self._claude_name)
        return stamped_lines(raw, self.source, fallback=time.time())


def connector_sources(name: str, *, logs_dir: Path | None, dirs: PlugboardDirs | None = None) -> list[LogSource]:
    dirs = dirs or plugboard_dirs()
    sources = [
        LogSource(SUPERVISOR, dirs.connector_log(supervised_log_name(name))),
        LogSource(LAUNCHER, dirs.connector_log(name)),
    ]
    if logs_dir is not None:
        sources.append(LogSource(CLAUDE, claude_logs.server_log_path(logs_dir, name)))
    return sources


class LiveSources:
    """Tails every source and appends new lines to the model, until `close()` (idempotent)."""

    def __init__(self, model: LogModel, tails: list[tuple[LogSource, FileTail]], poll_s: float = FOLLOW_POLL_S) -> None:
        self.model = model
        self._stop = threading.Event()
        self._poll_s = poll_s
        self._tails: list[tuple[FileTail, Callable[[bytes], None]]] = [
            (tail, self._handler(source)) for source, tail in tails
        ]
        self._thread: threading.Thread | None = None

    def _handler(self, source: LogSource) -> Callable[[bytes], None]:
        splitter = LineSplitter()

        def handle(data: bytes) -> None:
            self.model.append(self.model.redact_lines(source.parse(splitter.feed(data))))

        return handle

    def poll_once(self) -> None:
        """Read every tail once (for callers that drive the loop themselves)."""
        for tail, handle in self._tails:
            data = tail.read()
            if data:
                handle(data)

    def run(self, until: Callable[[], bool] | None = None) -> None:
        """Follow on the calling thread until `close()` (from another thread), or until `until()` says so (a flag a
        signal handler sets: asked once per look, so a handler never has to take the stop event's lock)."""
        follow(self._tails, self._stop, self._poll_s, until)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"logs-{self.model.name}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(max(1.0, self._poll_s * 4))
        for tail, _handle in self._tails:
            tail.close()


def open_connector_log(
    name: str,
    sources: list[LogSource],
    *,
    redactor: Redactor | None = None,
    since: float | None = None,
    capacity: int | None = None,
) -> tuple[LogModel, LiveSources]:
    """A model holding the merged history of `sources` (lines at or after `since`), and the live follower that
    continues exactly where the history ended. Call `LiveSources.close()` when done."""
    model = LogModel(name, redactor=redactor) if capacity is None else LogModel(name, capacity, redactor)
    histories: list[list[LogLine]] = []
    tails: list[tuple[LogSource, FileTail]] = []
    for source in sources:
        tail = source.open_tail()
        current = tail.read()
        complete, _, partial = current.rpartition(b"\n")
        lines = source.older_lines() + source.parse(complete.split(b"\n") if complete else [])
        histories.append(lines)
        tails.append((source, tail))
        if partial:
            tail.push_back(partial)  # a line still being written: the follower gets it first
    model.load_history(histories, since=since)
    return model, LiveSources(model, tails)


def connector_redactor(connector: Connector) -> Redactor:
    """Masks for one connector's lines: its keyring secrets and its secret-looking `env` values."""
    return secrets_redactor(connector.name, connector.secret_keys, connector.env)


def secrets_redactor(name: str, keys: list[str] | None = None, env: dict[str, str] | None = None) -> Redactor:
    """Masks for connector NAME's lines: the keyring values of `keys` and of every secret Plugboard's index still
    lists for NAME (so a removed or hand-edited connector's values are masked while the keyring holds them), plus
    the secret-looking `env` values.

    Every source needs this, not only our own files: Claude Desktop writes its `mcp-server-NAME.log` itself, with
    nothing masked. Reads the keyring: call it off any thread that must not wait."""
    from plugboard.core.errors import PlugboardError
    from plugboard.core.secrets.detect import secret_values
    from plugboard.core.secrets.keyring import get_secret, list_secret_names

    try:
        indexed = list_secret_names(name)
    except (OSError, PlugboardError, ValueError):
        indexed = []
    values: dict[str, str] = {}
    for key in dict.fromkeys([*(keys or []), *indexed]):
        try:
            value = get_secret(name, key)
        except PlugboardError:
            break  # no keyring: there are no values to mask with (our own files were masked when written)
        if value:
            values[key] = value
    return Redactor(secret_values(values, env or {}))


def open_logs(
    connectors: Connectors,
    name: str,
    *,
    since: float | None = None,
    capacity: int | None = None,
    connector: Connector | None = None,
) -> tuple[LogModel, LiveSources]:
    """`open_connector_log` for connector NAME of this config, masked; a removed connector's old log still opens.

    `connector`: NAME's entry when the caller has just read the config (no second read); looked up otherwise. Reads
    the config and the keyring: call it off any thread that must not wait."""
    from plugboard.core.errors import NotFoundError

    if connector is None:
        try:
            connector = connectors.get(name)
        except NotFoundError:
            if not connectors.dirs.connector_log(name).exists():
                raise
    # A removed connector's entry is gone, but its secrets may still be in the keyring (Plugboard's index names
    # them), and Claude Desktop's own log of it was never masked: mask with what is known.
    redactor = connector_redactor(connector) if connector is not None else secrets_redactor(name)
    sources = connector_sources(name, logs_dir=connectors.discovery.logs_dir, dirs=connectors.dirs)
    return open_connector_log(name, sources, redactor=redactor, since=since, capacity=capacity)
