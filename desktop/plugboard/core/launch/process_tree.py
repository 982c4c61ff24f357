"""Stopping a server Plugboard started and everything it started: one staged, bounded sequence, shared by the
launcher (`plugboard run`, through its keeper on Linux) and the supervisor (servers the app and doctor start).

Both start a server in its own session (`start_new_session=True`), so its pid is also its process group's id and
a signal to the group reaches what the server started (`npx` → `node`, `uv run` → `python`). Descendants that
left the group (`setsid`, daemonising) are signalled one by one: a `Tree` names them (`members`).

`terminate_tree` is the sequence (STYLE.md §4, the MCP stdio transport's shutdown): close the server's stdin and
wait `Graces.stdin_s` (a stdio server exits on EOF); send the first signal (SIGTERM, or the stop signal being
forwarded) to the group and every member and wait `Graces.term_s`; SIGKILL the group and every member and wait
`Graces.kill_s`. Each wait ends as soon as the tree is gone, so a well-behaved server costs milliseconds and the
worst case is the sum of the three graces. Stopping is idempotent: a process or group that is already gone (or
not ours to signal) is not an error.

What "the tree" is depends on who holds it:

- `PopenTree`, a child we `Popen`ed (the supervisor; the launcher where there is no keeper): its members are every
  descendant psutil has seen at any step, because once the leader exits its orphans are no longer its
  descendants. A descendant that was born and orphaned between two looks escapes it.
- The launcher's keeper (`keeper.py`) is a child subreaper, so every descendant stays its own; its tree misses
  nothing.

Windows (not run here, not verified): there are no groups or POSIX signals; SIGKILL means `kill()`, anything else
`terminate()`, of the server and of each member psutil found. The launcher's Job object (`winjob`) reaches the rest.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import psutil

# The MCP stdio transport says: close stdin, wait for the server to exit, then SIGTERM. The SDK's client waits
# 2 s; a server that reads stdin notices EOF in milliseconds, so 2 s only delays the ones that ignore it.
STDIN_EOF_GRACE_S = 2.0
# After SIGTERM a server may flush state or stop its own children; 3 s is generous for that and still ends well
# before a user gives up on "Claude is quitting".
TERM_GRACE_S = 3.0
# After SIGKILL the kernel ends a process at once; this only bounds the wait for one stuck in uninterruptible
# sleep (a hung network file system), which nothing we do can end sooner.
KILL_WAIT_S = 2.0

SIGKILL: int = getattr(signal, "SIGKILL", 9)


@dataclass(frozen=True)
class Graces:
    """The named waits between the steps of `terminate_tree`."""

    stdin_s: float = STDIN_EOF_GRACE_S
    term_s: float = TERM_GRACE_S
    kill_s: float = KILL_WAIT_S


class Tree(Protocol):
    """A server process and its descendants, as one owner sees them."""

    @property
    def process(self) -> subprocess.Popen[bytes]:
        """The server: the leader of its process group."""
        ...

    def members(self) -> list[psutil.Process]:
        """The descendants to signal one by one (those in the group get the group's signal as well)."""
        ...

    def wait_gone(self, timeout: float) -> bool:
        """Wait up to `timeout` for the tree to end; True once it has."""
        ...


def signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Send `sig` to `proc`'s process group (POSIX), or stop `proc` itself (Windows)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.name == "posix":
            os.killpg(proc.pid, sig)
        elif proc.poll() is None:
            proc.kill() if sig == SIGKILL else proc.terminate()


def signal_tree(tree: Tree, sig: int) -> None:
    """`sig` to the group and to every member (a member may have left the group)."""
    import psutil

    members = tree.members()  # before the group's signal: a leader that dies takes its descendants' link with it
    signal_group(tree.process, sig)
    for member in members:
        with contextlib.suppress(psutil.Error):
            member.send_signal(sig)


def terminate_tree(
    tree: Tree,
    *,
    first_signal: int = signal.SIGTERM,
    close_stdin: Callable[[], None] | None = None,
    graces: Graces = Graces(),
    on_kill: Callable[[], None] | None = None,
) -> bool:
    """Close stdin (when given) → wait → `first_signal` → wait → SIGKILL → wait; True once the tree is gone.

    Bounded by the sum of `graces`; safe to call again (or from two threads: signals to the gone are ignored).
    `on_kill` runs just before the SIGKILL step (the launcher notes it in the connector's log)."""
    tree.members()  # a first look while the leader lives: once it exits, its orphans are no longer its descendants
    if close_stdin is not None:
        close_stdin()
        if tree.wait_gone(graces.stdin_s):
            return True
    signal_tree(tree, first_signal)
    if tree.wait_gone(graces.term_s):
        return True
    if on_kill is not None:
        on_kill()
    signal_tree(tree, SIGKILL)
    return tree.wait_gone(graces.kill_s)


def descendants(pid: int) -> list[psutil.Process]:
    import psutil

    try:
        return list(psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return []


class PopenTree:
    """The tree under a child we started with `Popen`: the child and every descendant seen while it lived."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc
        self._seen: dict[int, psutil.Process] = {}

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self._proc

    def members(self) -> list[psutil.Process]:
        import psutil

        if self._proc.poll() is None:
            for child in descendants(self._proc.pid):
                self._seen.setdefault(child.pid, child)
        alive = []
        for member in self._seen.values():
            with contextlib.suppress(psutil.Error):
                # is_running() also tells a reused pid from the process we saw.
                if member.is_running() and member.status() != psutil.STATUS_ZOMBIE:
                    alive.append(member)
        return alive

    def wait_gone(self, timeout: float) -> bool:
        import psutil

        deadline = time.monotonic() + timeout
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        left = self.members()
        if not left:
            return True
        _gone, alive = psutil.wait_procs(left, timeout=max(0.0, deadline - time.monotonic()))
        return not alive
