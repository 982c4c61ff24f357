"""The merged live log of one connector: every line any part of the system saw it write, in one bounded model.

Three sources feed a connector's log (issue 4):

- `SUPERVISOR`: servers Plugboard started itself (`supervisor.Supervisor`, `plugboard doctor`). They arrive as
  events while the process runs and are also kept in `<logs>/<name>.supervised.log`, so `plugboard logs` in
  another process sees them.
- `LAUNCHER`: the stderr of servers Claude started through `plugboard run`, which the launcher already redacted
  and wrote to the connector log (`connector_log`), one UTC timestamp per line, its own notes marked
  `[plugboard]`.
- `CLAUDE`: Claude Desktop's own `mcp-server-NAME.log` (`logs.claude_desktop` parses its lines).

Each line is a `LogLine`: time (epoch seconds), source, stream ("stderr", "stdout", "plugboard" for our own
notes, "claude" for Claude's), level (parsed loosely: "error", "warning", "info", "debug"), text.

Shape, and why:

- `LogModel` is a ring buffer (`collections.deque(maxlen=...)`) so a server that writes without end costs a
  fixed amount of memory; the GUI shows the newest `capacity` lines. Lines are appended in arrival order;
  `load_history` merges the files' past lines by time once, then live lines follow as they come (sorting every
  live insert would cost more than the 50,000 lines/s budget allows and reorder what a user is reading).
- Subscribers get batches (`list[LogLine]`), not single lines: one callback per chunk read, so a Qt adapter
  marshals one signal per batch rather than one per line at 50,000 lines/s.
- `FileTail` follows a file by path and survives rotation (the path now names another inode: finish the old
  file, then start the new one from its beginning) and truncation (the file is shorter than what we read: start
  again from 0). It polls: inotify/FSEvents/ReadDirectoryChanges differ per OS, and a 4 Hz poll is cheap.
- Redaction happens here as well (`Redactor`), because not every source went through the launcher: a plain
  entry's secrets sit in its `env` block and Claude's own log carries whatever the server printed.
- Everything is bytes until the last step, and whole chunks are redacted at once (one regex pass per chunk, not
  per line): that is what lets one Python thread keep well above 50,000 lines/s
  (tests/benchmarks/bench_logs.py).
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from plugboard.core.logs.redact import Redactor

SUPERVISOR = "supervisor"
LAUNCHER = "launcher"
CLAUDE = "claude"

ERROR = "error"
WARNING = "warning"
INFO = "info"
DEBUG = "debug"

# Enough for a screenful of scroll-back many times over, and bounded: 10,000 lines of ~100 bytes is ~3 MB of
# Python objects.
DEFAULT_CAPACITY = 10_000
# One read from a tailed file or a pipe: large enough that a busy server's output is taken in few system calls.
READ_CHUNK = 256 * 1024
# A "line" longer than this is cut: a server that prints a megabyte without a newline must not grow a buffer
# without end.
MAX_LINE_BYTES = 64 * 1024
# How often `FileTail.follow` looks at the file again: quick enough to feel live, rare enough to cost nothing.
FOLLOW_POLL_S = 0.25

_LEVEL_WORDS = {
    "error": ERROR,
    "err": ERROR,
    "fatal": ERROR,
    "critical": ERROR,
    "crit": ERROR,
    "panic": ERROR,
    "exception": ERROR,
    "traceback": ERROR,
    "warn": WARNING,
    "warning": WARNING,
    "info": INFO,
    "notice": INFO,
    "debug": DEBUG,
    "trace": DEBUG,
    "verbose": DEBUG,
}
# Where a level word counts (checked in the first `_LEVEL_SPAN` bytes only, so prose further on does not):
# an upper-case word ("ERROR", "WARN"), a bracketed or parenthesised one ("[error]", "(warn)"), a lower-case one
# opening the line ("error: ...", "warning - ..."), a Python traceback or exception line.
_LEVEL_SPAN = 96
_LEVEL_NAMES = rb"error|err|fatal|critical|crit|panic|warn|warning|info|notice|debug|trace|verbose"
# One pattern, one `search` per line (this runs 50,000+ times a second): bracketed any case | upper case word |
# lower case word opening the line.
_LEVEL_RE = re.compile(
    rb"(?i:[\[(<](" + _LEVEL_NAMES + rb")[\])>])"
    rb"|(?<![A-Za-z])(" + _LEVEL_NAMES.upper() + rb")(?![A-Za-z])"
    rb"|^\s*(?i:(" + _LEVEL_NAMES + rb"))\s*[:\-|]"
)
_EXCEPTION_RE = re.compile(rb"^(?:Traceback \(most recent call last\)|[A-Z]\w*(?:Error|Exception)\b)")
# The connector log's (and Claude's) line stamp: 2025-06-03T07:23:52.664Z
_STAMP_RE = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)?\s")
_NOTE_PREFIX = b"[plugboard] "


class LogLine(NamedTuple):
    """One line. A named tuple, not a dataclass: built a million times, and a tuple is the cheapest to build."""

    time: float  # epoch seconds
    source: str  # SUPERVISOR | LAUNCHER | CLAUDE
    stream: str  # "stderr" | "stdout" | "plugboard" | "claude"
    level: str  # ERROR | WARNING | INFO | DEBUG
    text: str

    def to_json(self) -> dict[str, object]:
        return {
            "time": iso_time(self.time),
            "source": self.source,
            "stream": self.stream,
            "level": self.level,
            "text": self.text,
        }


def iso_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_level(text: bytes, default: str = INFO) -> str:
    """The level a line announces near its start ("[error]", "WARN:", "Traceback"), else `default`."""
    match = _LEVEL_RE.search(text, 0, _LEVEL_SPAN)
    if match is not None:
        word = match.group(1) or match.group(2) or match.group(3)
        return _LEVEL_WORDS[word.lower().decode()]
    if _EXCEPTION_RE.match(text, 0, _LEVEL_SPAN):
        return ERROR
    return default


def parse_stamp(raw: bytes) -> tuple[float | None, bytes]:
    """Split a leading ISO-8601 UTC stamp off a line: (epoch seconds or None, the rest)."""
    match = _STAMP_RE.match(raw)
    if match is None:
        return None, raw
    stamp = match.group(1).decode()
    zone = (match.group(2) or b"Z").decode()
    try:
        when = datetime.fromisoformat(stamp + ("+00:00" if zone == "Z" else zone))
    except ValueError:
        return None, raw
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp(), raw[match.end() :]


class LineSplitter:
    """Bytes in arbitrary chunks → complete lines (without the newline); a partial line waits for the next chunk."""

    __slots__ = ("_partial",)

    def __init__(self) -> None:
        self._partial = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        lines = (self._partial + chunk).split(b"\n") if self._partial else chunk.split(b"\n")
        last = lines.pop()
        self._partial = last[-MAX_LINE_BYTES:]
        return lines

    def flush(self) -> list[bytes]:
        rest, self._partial = self._partial, b""
        return [rest] if rest else []


def _text(raw: bytes) -> str:
    return raw[:MAX_LINE_BYTES].rstrip(b"\r").decode("utf-8", "replace")


def stream_lines(raw_lines: Iterable[bytes], source: str, stream: str, now: float | None = None) -> list[LogLine]:
    """Lines a process wrote just now (no stamp of their own): stamped `now`, level parsed from the text."""
    when = time.time() if now is None else now
    return [LogLine(when, source, stream, parse_level(raw), _text(raw)) for raw in raw_lines if raw]


def stamped_lines(raw_lines: Iterable[bytes], source: str, fallback: float | None = None) -> list[LogLine]:
    """Lines of the connector log (`<stamp> text`, notes marked `[plugboard]`); an unstamped line continues the
    time of the one before it."""
    out: list[LogLine] = []
    last = fallback if fallback is not None else 0.0
    for raw in raw_lines:
        if not raw:
            continue
        when, rest = parse_stamp(raw)
        if when is not None:
            last = when
        if rest.startswith(_NOTE_PREFIX):
            rest = rest[len(_NOTE_PREFIX) :]
            out.append(LogLine(last, source, "plugboard", parse_level(rest, INFO), _text(rest)))
        else:
            out.append(LogLine(last, source, "stderr", parse_level(rest), _text(rest)))
    return out


Subscriber = Callable[[list[LogLine]], None]


class LogModel:
    """The bounded, merged log of one connector. Thread-safe: sources append from their own threads."""

    def __init__(self, name: str, capacity: int = DEFAULT_CAPACITY, redactor: Redactor | None = None) -> None:
        self.name = name
        self.capacity = capacity
        self.redactor = redactor or Redactor(())
        self._lines: collections.deque[LogLine] = collections.deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []
        self.total = 0  # lines ever appended (the ring keeps the newest `capacity`)

    # -- subscribing ---------------------------------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> None:
        """`callback(batch)` runs on the appending thread, after the batch is in the buffer."""
        with self._lock:
            self._subscribers = [*self._subscribers, callback]

    def unsubscribe(self, callback: Subscriber) -> None:
        with self._lock:
            self._subscribers = [s for s in self._subscribers if s is not callback]

    # -- feeding -------------------------------------------------------------------------------------------------

    def append(self, lines: list[LogLine]) -> None:
        """Add lines (already redacted by whoever built them, or by `redact_lines`) and tell subscribers."""
        if not lines:
            return
        with self._lock:
            self._lines.extend(lines)
            self.total += len(lines)
            subscribers = self._subscribers
        for callback in subscribers:
            callback(lines)

    def feed_stream(self, splitter: LineSplitter, chunk: bytes, source: str, stream: str) -> list[LogLine]:
        """A raw chunk from a live process: redact, split, parse and append. Returns the lines added."""
        data = self.redactor.redact_bytes(chunk) if chunk else b""
        raw = splitter.feed(data) if chunk else splitter.flush()
        lines = stream_lines(raw, source, stream)
        self.append(lines)
        return lines

    def redact_lines(self, lines: Iterable[LogLine]) -> list[LogLine]:
        if self.redactor.longest == 0:
            return list(lines)
        return [ln._replace(text=self.redactor.redact(ln.text)) for ln in lines]

    def load_history(self, histories: Iterable[list[LogLine]], since: float | None = None) -> None:
        """Merge past lines from several sources by time (each list already in time order) into the buffer."""
        merged = heapq.merge(*histories, key=lambda ln: ln.time)
        kept = [ln for ln in merged if since is None or ln.time >= since]
        self.append(self.redact_lines(kept[-self.capacity :]))

    # -- reading -------------------------------------------------------------------------------------------------

    def lines(self, since: float | None = None) -> list[LogLine]:
        with self._lock:
            snapshot = list(self._lines)
        return snapshot if since is None else [ln for ln in snapshot if ln.time >= since]

    def __len__(self) -> int:
        return len(self._lines)

    def approximate_bytes(self) -> int:
        """Memory the buffered lines hold (objects and their text), for the benchmark and the GUI's status bar."""
        import sys

        with self._lock:
            snapshot = list(self._lines)
        line_size = sys.getsizeof(snapshot[0]) if snapshot else 0
        return sum(line_size + sys.getsizeof(ln.text) for ln in snapshot) + sys.getsizeof(self._lines)


class FileTail:
    """Reads what is appended to one file, across rotation and truncation. Not thread-safe: one reader."""

    def __init__(
        self, path: Path, *, from_start: bool = True, rotated: Iterable[Path] = (), backlog: int | None = None
    ) -> None:
        self.path = path
        # From the start, but at most this many bytes back from the end (cut at a line boundary): for logs that
        # grow for months, like Claude's own.
        self.backlog = backlog
        self._skip_partial = False
        self._pushed = b""
        self.rotated = list(rotated)  # where rotation moves the file, newest first (`x.log.1`, `x.log.2`, ...)
        self._fd: int | None = None
        self._inode: tuple[int, int] | None = None
        self._pos = 0
        self._from_start = from_start
        self.rotations = 0
        self.truncations = 0

    def _open(self) -> bool:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            self._from_start = True  # when it appears, all of it is new
            return False
        st = os.fstat(fd)
        self._fd = fd
        self._inode = (st.st_dev, st.st_ino)
        self._pos = 0 if self._from_start else st.st_size
        if self._from_start and self.backlog is not None and st.st_size > self.backlog:
            self._pos = st.st_size - self.backlog
            self._skip_partial = True
        self._from_start = True  # a file that appears later (or after rotation) is new: read it all
        return True

    def _read_all(self) -> bytes:
        assert self._fd is not None
        parts: list[bytes] = []
        while True:
            try:
                chunk = os.pread(self._fd, READ_CHUNK, self._pos)
            except OSError:
                break
            if not chunk:
                break
            parts.append(chunk)
            self._pos += len(chunk)
        return b"".join(parts)

    def push_back(self, data: bytes) -> None:
        """Bytes the caller took but could not use yet (an unfinished line): the next `read` starts with them."""
        self._pushed = data + self._pushed

    def read(self) -> bytes:
        """Everything new since the last call (possibly from the old file and then the new one)."""
        pushed, self._pushed = self._pushed, b""
        if self._fd is None and not self._open():
            return pushed
        assert self._fd is not None
        out = bytearray(pushed)
        try:
            size = os.fstat(self._fd).st_size
        except OSError:
            size = self._pos
        if size < self._pos:
            # Truncated in place (`> file`, copytruncate): what is there now is new.
            self.truncations += 1
            self._pos = 0
        out += self._read_all()
        if self._skip_partial and out:
            cut = out.find(b"\n")
            del out[: cut + 1 if cut >= 0 else len(out)]
            self._skip_partial = cut < 0
        try:
            st = os.stat(self.path)
            current: tuple[int, int] | None = (st.st_dev, st.st_ino)
        except OSError:
            current = None
        if current is not None and current != self._inode:
            # Rotated: the old file is finished (we just read its end); the path names a fresh file. If it rotated
            # more than once since the last read, the files between the old one and the new one are read whole.
            self.rotations += 1
            out += self._skipped_files()
            self.close()
            if self._open():
                out += self._read_all()
        return bytes(out)

    def _skipped_files(self) -> bytes:
        inodes: list[tuple[int, int] | None] = []
        for rotated in self.rotated:
            try:
                st = os.stat(rotated)
                inodes.append((st.st_dev, st.st_ino))
            except OSError:
                inodes.append(None)
        if self._inode not in inodes:
            return b""  # the old file is gone (or rotation is not ours to see): nothing we can recover
        out = bytearray()
        for index in range(inodes.index(self._inode) - 1, -1, -1):
            with contextlib.suppress(OSError):
                out += self.rotated[index].read_bytes()
                self.rotations += 1
        return bytes(out)

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileTail:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def follow(
    tails: list[tuple[FileTail, Callable[[bytes], None]]],
    stop: threading.Event,
    poll_s: float = FOLLOW_POLL_S,
    until: Callable[[], bool] | None = None,
) -> None:
    """Feed each tail's new bytes to its handler until `stop` is set or `until()` is true (one poll every
    `poll_s`)."""
    try:
        while True:
            for tail, handle in tails:
                data = tail.read()
                if data:
                    handle(data)
            if stop.wait(poll_s) or (until is not None and until()):
                return
    finally:
        for tail, _handle in tails:
            tail.close()
