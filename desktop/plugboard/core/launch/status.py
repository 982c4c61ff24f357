"""The status record of each connector's last run, and the one-word reading `plugboard list` shows.

The launcher (and the proxy) own a connector's record while they run; everything else only reads it. One JSON
file per connector at `plugboard_dirs().status / "<name>.json"`, replaced atomically, so a reader sees the
previous record or the next, never half of one. Records carry no secret: stderr lines arrive here already
redacted.

Reading a record is not enough to say "running": a launcher killed with SIGKILL never writes its end. So a
record in state "running" is checked against the process table (launcher pid plus its start time, because pids
are reused); a vanished launcher reads as "crashed".

Labels (`status_label`): "running", "exited N", "stopped" (ended by a signal the launcher forwarded, i.e.
Claude stopped it), "crashed" (killed by any other signal, or the launcher vanished), "never started",
"failed: <reason>" (e.g. "failed: missing secret GITHUB_TOKEN" — the server was never spawned).
"""

from __future__ import annotations

import contextlib
import json
import signal
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from plugboard.core.atomic import write_atomic
from plugboard.core.paths import PlugboardDirs, ensure_dir, plugboard_dirs, safe_file_name

# How many of the server's last stderr lines a record keeps: enough to show why it died, small enough to
# rewrite.
TAIL_LINES = 20
# Interpreter start-up before the launcher notes its start time: well under a second; 10 s allows a loaded
# machine.
PID_REUSE_SLACK_S = 10.0
# create_time() and time.time() round differently; a small margin keeps a live launcher from reading as
# crashed.
CLOCK_SLACK_S = 1.0

RUNNING = "running"
EXITED = "exited"
STOPPED = "stopped"
CRASHED = "crashed"
FAILED = "failed"


@dataclass
class ConnectorStatus:
    name: str
    state: str  # running | exited | stopped | crashed | failed
    command: list[str] = field(default_factory=list)
    pid: int | None = None  # the server's pid
    launcher_pid: int | None = None
    launcher_started: float | None = None  # time.time() early in the launcher, to detect pid reuse
    started: float | None = None  # epoch seconds
    ended: float | None = None
    exit_code: int | None = None
    signal: int | None = None
    reason: str | None = None  # for "failed": one sentence, e.g. "missing secret GITHUB_TOKEN"
    stderr_tail: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConnectorStatus:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def status_path(name: str, dirs: PlugboardDirs | None = None) -> Path:
    return (dirs or plugboard_dirs()).status / f"{safe_file_name(name)}.json"


def write_status(record: ConnectorStatus, dirs: PlugboardDirs | None = None) -> None:
    path = status_path(record.name, dirs)
    ensure_dir(path.parent)
    write_atomic(path, (json.dumps(asdict(record), indent=2) + "\n").encode("utf-8"))


def read_status(name: str, dirs: PlugboardDirs | None = None) -> ConnectorStatus | None:
    """The last record for `name`, or None if it never ran (or its record is unreadable)."""
    try:
        data = json.loads(status_path(name, dirs).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    with contextlib.suppress(TypeError):
        return ConnectorStatus.from_json(data)
    return None


def process_start_time(pid: int) -> float | None:
    """Start time of a live process (epoch s), or None if it does not exist. psutil is imported only here."""
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return None


def launcher_alive(record: ConnectorStatus) -> bool:
    if record.launcher_pid is None:
        return False
    started = process_start_time(record.launcher_pid)
    if started is None:
        return False
    if record.launcher_started is None:
        return True
    # The launcher notes time.time() just after the interpreter starts, so its process began a little
    # before that.
    # A reused pid belongs to a process that began after the note.
    return record.launcher_started - PID_REUSE_SLACK_S <= started <= record.launcher_started + CLOCK_SLACK_S


def signal_name(number: int) -> str:
    with contextlib.suppress(ValueError):
        return signal.Signals(number).name
    return f"signal {number}"


def status_label(record: ConnectorStatus | None) -> str:
    """What `plugboard list` shows in its status column."""
    if record is None:
        return "never started"
    if record.state == RUNNING:
        return "running" if launcher_alive(record) else "crashed"
    if record.state == EXITED:
        return f"exited {record.exit_code}"
    if record.state == STOPPED:
        return "stopped"
    if record.state == CRASHED:
        return f"crashed ({signal_name(record.signal)})" if record.signal else "crashed"
    if record.state == FAILED:
        return f"failed: {record.reason}" if record.reason else "failed"
    return record.state


def connector_status_label(name: str, dirs: PlugboardDirs | None = None) -> str:
    return status_label(read_status(name, dirs))
