"""The status record of each connector's last run, and the one-word reading `plugboard list` shows.

The launcher (and the proxy) own a connector's record while they run; everything else only reads it. One JSON
file per connector at `plugboard_dirs().status / "<name>.json"`, replaced atomically, so a reader sees the
previous record or the next, never half of one. Records carry no secret: stderr lines arrive here already
redacted.

Reading a record is not enough to say "running": a launcher killed with SIGKILL never writes its end. So a
record in state "running" is checked against the process table (launcher pid plus its start time, because pids
are reused); a vanished launcher reads as "crashed".

The state a record holds is a `RunState`, a `StrEnum`: its value is what the file says (`"state": "running"`),
so the files and `plugboard list --json` read exactly as they did when the states were plain strings.
`effective_state` is what a reader should believe (a "running" record whose launcher is gone reads as
`CRASHED`), `is_failing` the one rule for "this connector is in trouble" that the app's lights use.

Labels (`status_label`): "running", "exited N", "stopped" (ended by a signal the launcher forwarded, i.e.
Claude stopped it), "crashed" (killed by any other signal, or the launcher vanished), "never started",
"failed: <reason>" (e.g. "failed: missing secret GITHUB_TOKEN" — the server was never spawned).
"""

from __future__ import annotations

import contextlib
import json
import signal
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from plugboard.core.files.atomic import write_atomic
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


class RunState(StrEnum):
    """How a connector's last run stands, as its launcher (or proxy) recorded it."""

    RUNNING = "running"
    EXITED = "exited"  # the server exited by itself, with `exit_code`
    STOPPED = "stopped"  # ended by a signal the launcher forwarded: Claude (or a user) stopped it
    CRASHED = "crashed"  # killed by any other signal (`signal`), or the launcher vanished
    FAILED = "failed"  # never spawned; `reason` says why


@dataclass
class ConnectorStatus:
    name: str
    state: RunState
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

    def __post_init__(self) -> None:
        # A record read from a file (or built by a caller holding the plain value) gets the typed state; an
        # unknown value raises ValueError, so `read_status` treats the record as unreadable.
        self.state = RunState(self.state)

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
    with contextlib.suppress(TypeError, ValueError):
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


def effective_state(record: ConnectorStatus | None) -> RunState | None:
    """What to believe about a record: None if it never ran; a "running" record whose launcher vanished (killed
    with SIGKILL, so it never wrote its end) is `CRASHED`."""
    if record is None:
        return None
    if record.state is RunState.RUNNING and not launcher_alive(record):
        return RunState.CRASHED
    return record.state


def is_failing(record: ConnectorStatus | None, state: RunState | None) -> bool:
    """Whether the run ended in a way the user should hear about: it never started, crashed, or exited non-zero.
    `state` is `effective_state(record)` (passed in so one look at the process table serves both)."""
    if state in (RunState.FAILED, RunState.CRASHED):
        return True
    return state is RunState.EXITED and record is not None and record.exit_code != 0


def label(record: ConnectorStatus | None, state: RunState | None) -> str:
    """The one-word reading of `record` whose effective state is `state` (see `status_label`)."""
    if record is None or state is None:
        return "never started"
    if state is RunState.RUNNING:
        return "running"
    if state is RunState.EXITED:
        return f"exited {record.exit_code}"
    if state is RunState.STOPPED:
        return "stopped"
    if state is RunState.CRASHED:
        # A "running" record whose launcher vanished carries no signal: plain "crashed".
        return f"crashed ({signal_name(record.signal)})" if record.signal else "crashed"
    return f"failed: {record.reason}" if record.reason else "failed"


def status_label(record: ConnectorStatus | None) -> str:
    """What `plugboard list` shows in its status column."""
    return label(record, effective_state(record))


def connector_status_label(name: str, dirs: PlugboardDirs | None = None) -> str:
    return status_label(read_status(name, dirs))
