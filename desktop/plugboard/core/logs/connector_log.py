"""The per-connector log file: what a server wrote to stderr, already redacted, plus the launcher's own notes.

One file per connector at `plugboard_dirs().connector_log(name)`, mode 0600 (it describes the user's tools).
It is bounded: when a write would take it past `MAX_LOG_BYTES`, the file is rotated to `.1`, `.1` to `.2`, ...
and the oldest (`.KEEP_ROTATED`) is dropped, so a chatty server can never fill the disk.

Each line starts with a UTC timestamp so `plugboard logs` can merge and the GUI can show ages. A chunk that
ends mid-line continues that line without a second timestamp.

Several writers may append to the same file (Claude restarting a server while the old launcher drains).
Appends with O_APPEND do not interleave inside one write; a rotation race at worst rotates twice, which loses
nothing but order. The writer never raises for a full disk or a vanished folder: logging must not take the
server down with it.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from plugboard.core.paths import PlugboardDirs, ensure_dir, plugboard_dirs

# 1 MiB holds hours of a normal server's stderr and loads instantly in the log viewer.
MAX_LOG_BYTES = 1024 * 1024
# Three old files: enough to see the run before a crash loop began, bounded at 4 MiB per connector.
KEEP_ROTATED = 3


def _stamp() -> bytes:
    now = time.time()
    return (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z ").encode()


def rotated_paths(path: Path, keep: int = KEEP_ROTATED) -> list[Path]:
    """The rotated files of `path`, newest first (`name.log.1`, `name.log.2`, ...)."""
    return [path.with_name(f"{path.name}.{i}") for i in range(1, keep + 1)]


class ConnectorLog:
    """An append-only, size-bounded log for one connector. Call `close()` when done (idempotent)."""

    def __init__(
        self,
        name: str,
        dirs: PlugboardDirs | None = None,
        *,
        max_bytes: int = MAX_LOG_BYTES,
        keep: int = KEEP_ROTATED,
    ) -> None:
        self.path = (dirs or plugboard_dirs()).connector_log(name)
        self.max_bytes = max_bytes
        self.keep = keep
        self._fd: int | None = None
        self._size = 0
        self._at_line_start = True
        self._open()

    def _open(self) -> None:
        try:
            ensure_dir(self.path.parent)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._size = os.fstat(self._fd).st_size
        except OSError:
            self._fd = None

    def _rotate(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        with contextlib.suppress(OSError):
            olds = rotated_paths(self.path, self.keep)
            for older, newer in zip(reversed(olds), reversed([self.path, *olds[:-1]]), strict=True):
                if newer.exists():
                    os.replace(newer, older)
        self._open()

    def write(self, data: bytes) -> None:
        """Append raw (already redacted) bytes, stamping each new line."""
        if not data:
            return
        out = bytearray()
        stamp = _stamp()  # one clock reading per chunk: lines read together arrived together
        for line in data.splitlines(keepends=True):
            if self._at_line_start:
                out += stamp
            out += line
            self._at_line_start = line.endswith(b"\n")
        if self._size and self._size + len(out) > self.max_bytes:
            self._rotate()
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            # A single chunk larger than the whole budget is cut to its tail: the end is what
            # explains a crash.
            chunk = bytes(out[-self.max_bytes :])
            os.write(self._fd, chunk)
            self._size += len(chunk)

    def note(self, text: str) -> None:
        """A line from Plugboard itself (start, exit, refusal), marked apart from the server's output."""
        prefix = b"" if self._at_line_start else b"\n"
        self.write(prefix + f"[plugboard] {text}\n".encode("utf-8", "replace"))

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ConnectorLog:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def prune_old_logs(days: int, dirs: PlugboardDirs | None = None, now: float | None = None) -> list[Path]:
    """Delete log files in Plugboard's log folder not written for `days` days (the app's "keep logs for" setting).

    Size already bounds each connector's logs; this bounds their age, so a connector removed long ago leaves no
    log behind. A file still being written has a fresh modification time and is kept. Returns what was deleted.
    """
    folder = (dirs or plugboard_dirs()).logs
    if not folder.is_dir():
        return []
    cutoff = (time.time() if now is None else now) - days * 86400
    removed: list[Path] = []
    for path in folder.iterdir():
        if ".log" not in path.name or not path.is_file():
            continue
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
    return removed


def supervised_log_name(name: str) -> str:
    """The connector-log name for output of servers Plugboard started (`<logs>/<name>.supervised.log`)."""
    return f"{name}.supervised"
