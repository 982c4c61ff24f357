"""Reading Claude Desktop's own logs: what Claude saw when it started (or failed to start) a connector.

Claude writes (FACTS.md §A "Logs") into its log folder (`discovery.discover(...).logs_dir`, which knows the
macOS, Windows classic, MSIX and Linux places):

- `mcp.log`: connection events for every server, lines like
  `2025-06-03T07:23:52.664Z [error] [github] spawn npx ENOENT` or `... [github] [info] Server started ...`;
- `mcp-server-NAME.log`: that server's stderr plus Claude's notes about it, lines like
  `2025-06-03T07:23:52.664Z [github] [info] Initializing server...`.

The format is not documented and has changed between versions, so parsing is loose: a leading ISO stamp, then
any number of `[...]` tags; a tag that is a level word is the level, a tag equal to the connector's name (or
the first other tag) is the server. A line without a stamp continues the one before it (stack traces,
multi-line JSON), taking its time and server. Anything we cannot parse is kept as text, never dropped.

Only the end of each file is read (`TAIL_BYTES`): these logs grow for months and doctor needs the last error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from plugboard.core.logs.model import CLAUDE, ERROR, INFO, WARNING, LogLine, parse_level, parse_stamp
from plugboard.core.paths import safe_file_name

MCP_LOG = "mcp.log"
# The end of a log that doctor reads: 512 KiB is thousands of lines, days of normal use, read in milliseconds.
TAIL_BYTES = 512 * 1024

_TAG_RE = re.compile(rb"\s*\[([^\]\n]{1,200})\]")
_LEVELS = {"error": ERROR, "err": ERROR, "fatal": ERROR, "warn": WARNING, "warning": WARNING}
_PLAIN_LEVELS = {"info", "debug", "log", "verbose", "trace"}


@dataclass(frozen=True)
class ClaudeLogEntry:
    time: float | None
    level: str
    server: str | None
    text: str
    file: Path

    def to_log_line(self) -> LogLine:
        return LogLine(self.time or 0.0, CLAUDE, "claude", self.level, self.text)


def server_log_path(logs_dir: Path, name: str) -> Path:
    """`mcp-server-NAME.log`; Claude uses the connector name as it is, we fall back to a safe form if absent."""
    exact = logs_dir / f"mcp-server-{name}.log"
    if exact.exists():
        return exact
    safe = logs_dir / f"mcp-server-{safe_file_name(name)}.log"
    return safe if safe.exists() else exact


def read_tail(path: Path, max_bytes: int = TAIL_BYTES) -> bytes:
    """The last `max_bytes` of a file, starting at a line boundary; b"" when it cannot be read."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            start = max(0, size - max_bytes)
            handle.seek(start)
            data = handle.read()
    except OSError:
        return b""
    if start > 0:
        cut = data.find(b"\n")
        data = data[cut + 1 :] if cut >= 0 else b""
    return data


def parse_line(raw: bytes, file: Path, default_server: str | None = None) -> ClaudeLogEntry | None:
    """One stamped line, or None for a line without a stamp (a continuation)."""
    when, rest = parse_stamp(raw)
    if when is None:
        return None
    level = INFO
    server: str | None = None
    tags: list[str] = []
    pos = 0
    while True:
        match = _TAG_RE.match(rest, pos)
        if match is None:
            break
        tags.append(match.group(1).decode("utf-8", "replace"))
        pos = match.end()
    for tag in tags:
        lowered = tag.strip().lower()
        if lowered in _LEVELS:
            level = _LEVELS[lowered]
        elif lowered in _PLAIN_LEVELS:
            continue
        elif server is None or tag == default_server:
            server = tag
    body = rest[pos:].strip()
    if level == INFO:
        # Claude tags a server's stderr "[info]" whatever it says; the line's own level word (a proxy's "[error] the
        # remote MCP server is unreachable", a server's "ERROR ...") is what a reader needs to see.
        level = parse_level(body, INFO)
    text = body.decode("utf-8", "replace")
    return ClaudeLogEntry(when, level, server or default_server, text, file)


def parse_lines(data: bytes, file: Path, default_server: str | None = None) -> list[ClaudeLogEntry]:
    entries: list[ClaudeLogEntry] = []
    for raw in data.splitlines():
        if not raw.strip():
            continue
        entry = parse_line(raw, file, default_server)
        if entry is not None:
            entries.append(entry)
        elif entries:
            last = entries[-1]
            entries.append(ClaudeLogEntry(last.time, last.level, last.server, raw.decode("utf-8", "replace"), file))
        else:
            entries.append(ClaudeLogEntry(None, INFO, default_server, raw.decode("utf-8", "replace"), file))
    return entries


def connector_entries(logs_dir: Path | None, name: str) -> list[ClaudeLogEntry]:
    """Everything Claude's logs say about connector `name`, from `mcp.log` and `mcp-server-NAME.log`."""
    if logs_dir is None:
        return []
    entries: list[ClaudeLogEntry] = []
    mcp = logs_dir / MCP_LOG
    entries += [e for e in parse_lines(read_tail(mcp), mcp) if e.server == name]
    own = server_log_path(logs_dir, name)
    entries += parse_lines(read_tail(own), own, default_server=name)
    entries.sort(key=lambda e: e.time or 0.0)
    return entries


def last_error(logs_dir: Path | None, name: str) -> ClaudeLogEntry | None:
    """The newest error line Claude logged for `name`, or None (no logs, or no error)."""
    errors = [e for e in connector_entries(logs_dir, name) if e.level == ERROR]
    return errors[-1] if errors else None


def server_log_lines(logs_dir: Path | None, name: str) -> list[LogLine]:
    """Claude's `mcp-server-NAME.log` as log-model lines (the third source of `plugboard logs`)."""
    if logs_dir is None:
        return []
    own = server_log_path(logs_dir, name)
    return [e.to_log_line() for e in parse_lines(read_tail(own), own, default_server=name)]


def parse_new(data: Iterable[bytes], file: Path, name: str) -> list[LogLine]:
    """Freshly tailed lines of `mcp-server-NAME.log` as log-model lines (continuations get the time of now)."""
    import time

    lines: list[LogLine] = []
    now = time.time()
    for raw in data:
        if not raw.strip():
            continue
        entry = parse_line(raw, file, name)
        if entry is None:
            previous = lines[-1].time if lines else now
            lines.append(LogLine(previous, CLAUDE, "claude", INFO, raw.decode("utf-8", "replace")))
        else:
            lines.append(entry.to_log_line())
    return lines
