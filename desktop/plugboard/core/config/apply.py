"""Applying connector switches to Claude Desktop (DESIGN.md "Apply flow").

Claude reads its config once at start and may later rewrite the whole file from its cached copy (FACTS.md §A), so
an edit made while it runs can be lost. Hence:

- `PendingChanges` holds the switches a user flipped while Claude runs (flipping one back cancels it).
- `apply_changes` writes them at once when Claude is not running. When it is: quit Claude → wait for it to exit →
  write → relaunch (`ClaudeApp.restart(between=...)`); if Claude does not quit in time, nothing is written.
- Then the wipe guard watches the file for `WIPE_GUARD_S`: if Claude, starting up, rewrites it without the entries
  we just wrote (the "Claude wiped my config" reports: anthropics/claude-code#34359, #78226), the file we wrote is
  put back (what Claude wrote goes to the backups first) and the outcome says so in words.

Entries switched on in `between` stay watched (`Connectors.enable(watch=True)`): if the guard had to put the file
back, Claude may still hold a copy without them, and `Connectors.reconcile` keeps putting them back until Claude
writes a file that has them. A guard that ends without a wipe confirms them (Claude started with them).
An empty file seen by the guard is Claude mid-way through its truncate-then-write: looked at again, not restored.

Comparison is by value, not bytes: Claude legitimately re-serialises the file in its own style.
Blocking and Qt-free; the GUI runs it on a worker thread and can cancel the guard with `stop`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from plugboard.core.claude.app import ClaudeApp, RestartOutcome
from plugboard.core.config import claude_file as claude_config
from plugboard.core.config.connectors import Connectors
from plugboard.core.errors import PlugboardError

# Claude rewrites its config, when it does, within a few seconds of starting (while it loads settings and
# extensions). 15 s covers a slow start without keeping the user waiting for the "all good" note too long.
WIPE_GUARD_S = 15.0
# How often the guard looks at the file: cheap (a stat), and fast enough to restore before Claude finishes
# starting its connectors.
GUARD_POLL_S = 0.2


class PendingChanges:
    """Switches flipped while Claude runs: connector name → wanted state. Flipping back cancels the change."""

    def __init__(self) -> None:
        self._wanted: dict[str, bool] = {}
        self._original: dict[str, bool] = {}

    def toggle(self, name: str, enabled_now: bool, wanted: bool) -> None:
        original = self._original.setdefault(name, enabled_now)
        if wanted == original:
            self._wanted.pop(name, None)
            self._original.pop(name, None)
        else:
            self._wanted[name] = wanted

    def wanted(self, name: str) -> bool | None:
        return self._wanted.get(name)

    def items(self) -> Iterator[tuple[str, bool]]:
        return iter(list(self._wanted.items()))

    def clear(self) -> None:
        self._wanted.clear()
        self._original.clear()

    def __len__(self) -> int:
        return len(self._wanted)


@dataclass
class ApplyOutcome:
    written: list[str] = field(default_factory=list)
    restart: RestartOutcome | None = None
    restored_after_wipe: bool = False
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.restart is None or self.restart.quit


def write_changes(connectors: Connectors, changes: Mapping[str, bool], *, watch: bool | None = None) -> list[str]:
    done: list[str] = []
    for name, enable in changes.items():
        if enable:
            connectors.enable(name, watch=watch)
        else:
            connectors.disable(name)
        done.append(name)
    return done


def apply_changes(
    connectors: Connectors,
    changes: Mapping[str, bool],
    claude: ClaudeApp,
    *,
    progress: Callable[[float], None] | None = None,
    guard_seconds: float | None = None,
    stop: threading.Event | None = None,
) -> ApplyOutcome:
    changes = dict(changes)
    guard_seconds = WIPE_GUARD_S if guard_seconds is None else guard_seconds
    count = _count(len(changes))
    if not claude.status().running:
        written = write_changes(connectors, changes)
        return ApplyOutcome(
            written, message=f"Saved {count}. Claude Desktop is not running; they apply when it starts."
        )
    outcome = ApplyOutcome()
    ours: list[bytes | None] = []

    def between() -> None:
        outcome.written = write_changes(connectors, changes, watch=True)
        # What we wrote, captured before Claude starts: the guard compares against this, not a later read.
        ours.append(claude_config.read_raw(connectors.path))

    outcome.restart = claude.restart(between=between, progress=progress)
    if not outcome.restart.quit:
        outcome.message = outcome.restart.message + f" Nothing was written; {count} still waiting."
        return outcome
    written_raw = ours[0]
    expected = {m.name: m.value for m in claude_config.parse(connectors.path, written_raw).servers_members()}
    wiped = watch_for_wipe(connectors, written_raw, expected, guard_seconds, stop or threading.Event())
    if wiped is not None:
        outcome.restored_after_wipe = True
        outcome.message = (
            f"Claude Desktop rewrote its config as it started and dropped {wiped}. Plugboard put the file back "
            "(what Claude wrote is kept in the backups). Restart Claude once more to load your connectors."
        )
    else:
        if not (stop and stop.is_set()):
            connectors.confirm(name for name, wanted in changes.items() if wanted)
        outcome.message = f"{outcome.restart.message} Applied {count}."
    return outcome


def watch_for_wipe(
    connectors: Connectors, ours: bytes | None, expected: Mapping[str, Any], seconds: float, stop: threading.Event
) -> str | None:
    """Watch the file for `seconds`; if it loses or changes an `expected` entry, put `ours` back.

    Returns a description of what was dropped when it restored, else None.
    """
    path = connectors.path
    deadline = time.monotonic() + seconds
    while not stop.wait(GUARD_POLL_S) and time.monotonic() < deadline:
        raw = claude_config.read_raw(path)
        if raw == ours:
            continue
        dropped = _dropped(connectors, raw, expected)
        if dropped is None:  # mid-write or unreadable for a moment: look again
            continue
        if not dropped:
            ours = raw  # Claude re-serialised the file but kept every entry: that is fine
            continue
        return _restore(connectors, ours, dropped)
    if stop.is_set():
        return None
    # A file left unreadable at the end of the watch is as lost as one without our entries.
    raw = claude_config.read_raw(path)
    if raw != ours and _dropped(connectors, raw, expected) is None and ours is not None:
        return _restore(connectors, ours, list(expected))
    return None


def _restore(connectors: Connectors, ours: bytes | None, dropped: list[str]) -> str:
    if ours is None:
        raise PlugboardError(f"{connectors.path} was removed while Claude Desktop started")
    connectors.put_back(ours, reason="wipe-guard")
    return ", ".join(f'"{name}"' for name in dropped)


def _dropped(connectors: Connectors, raw: bytes | None, expected: Mapping[str, Any]) -> list[str] | None:
    if claude_config.is_blank(raw):
        return None  # Claude truncates, then writes: mid-way through, not a wipe
    try:
        doc = claude_config.parse(connectors.path, raw)
    except PlugboardError:
        return None if raw else list(expected)
    live = {m.name: m.value for m in doc.servers_members()}
    return [name for name, entry in expected.items() if live.get(name) != entry]


def _count(n: int) -> str:
    return f"{n} change" + ("" if n == 1 else "s")
