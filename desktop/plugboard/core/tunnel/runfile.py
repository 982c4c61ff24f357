"""The run record of a tunnel brought up by `plugboard tunnel up`, so other processes can see and stop it.

One JSON file per tunnel in `plugboard_dirs().state / "tunnels"`, rewritten atomically on every state change by the
process that runs the tunnel: its pid, when it started, and the current `TunnelState` as a dict. `plugboard tunnel
status` and the GUI read it; `plugboard tunnel down` sends SIGTERM to the pid. A record whose pid is gone (a crash,
a power cut) reads as "not running" and is removed by the next writer. It holds no secret.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from plugboard.core.files.atomic import write_atomic
from plugboard.core.paths import PlugboardDirs, ensure_dir, plugboard_dirs, safe_file_name
from plugboard.core.tunnel.state import TunnelState


def runfile_dir(dirs: PlugboardDirs | None = None) -> Path:
    return (dirs or plugboard_dirs()).state / "tunnels"


def runfile_path(name: str, dirs: PlugboardDirs | None = None) -> Path:
    return runfile_dir(dirs) / f"{safe_file_name(name)}.json"


@dataclass(frozen=True)
class RunRecord:
    name: str
    pid: int
    started_at: float
    state: dict[str, Any]

    @property
    def alive(self) -> bool:
        """Whether the recorded process still runs (a reused pid is told apart by its start time)."""
        try:
            proc = psutil.Process(self.pid)
            # The process must have started before it wrote the record (allowing for clock granularity).
            return bool(proc.create_time() <= self.started_at + 1.0)
        except psutil.Error:
            return False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "pid": self.pid, "started_at": self.started_at, **self.state}


def write_record(name: str, state: TunnelState, started_at: float, dirs: PlugboardDirs | None = None) -> None:
    path = runfile_path(name, dirs)
    ensure_dir(path.parent)
    record = {"name": name, "pid": os.getpid(), "started_at": started_at, "updated_at": time.time()}
    record["state"] = state.to_dict()
    write_atomic(path, (json.dumps(record, indent=2) + "\n").encode("utf-8"))


def read_record(name: str, dirs: PlugboardDirs | None = None) -> RunRecord | None:
    """The record for `name` if its process is alive; a stale record is removed and None returned."""
    path = runfile_path(name, dirs)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        record = RunRecord(
            name=str(data["name"]),
            pid=int(data["pid"]),
            started_at=float(data["started_at"]),
            state=dict(data["state"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # A torn or foreign file: treat as not running.
        return None
    if not record.alive:
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return record


def remove_record(name: str, dirs: PlugboardDirs | None = None) -> None:
    """Remove our own record (only if it is ours: another process may have taken over the name since)."""
    path = runfile_path(name, dirs)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if data.get("pid") == os.getpid():
        with contextlib.suppress(OSError):
            path.unlink()
