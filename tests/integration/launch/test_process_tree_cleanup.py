"""Killing `plugboard run` with SIGKILL leaves nothing behind (issue 16, item 10): the keeper, a child subreaper,
ends the server's whole tree — a server that ignores SIGTERM, a grandchild that left the group with setsid, a
double-forked daemon — escalating to SIGKILL. Real processes throughout; each test names the pids it saw and
fails if any of them still runs after the deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest

from integration.launcher_helpers import finish, python_server, read_until, start_launcher, wait_gone
from plugboard.core.launch.keeper import KEEPER_NAME
from plugboard.core.launch.process_tree import KILL_WAIT_S, TERM_GRACE_S
from plugboard.core.launch.status import read_status

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the keeper is Linux-only")

# The keeper's worst case is SIGTERM, TERM_GRACE_S, SIGKILL, KILL_WAIT_S; 5 s more absorbs a loaded machine.
GONE_DEADLINE_S = TERM_GRACE_S + KILL_WAIT_S + 5.0

# Python snippets for the processes in the tree. Each ignores SIGTERM, so only SIGKILL ends it.
STUBBORN = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); signal.pause()"
SERVER_WITH_SETSID_CHILD = (
    "import signal, subprocess, sys\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    f"child = subprocess.Popen([sys.executable, '-c', {STUBBORN!r}], start_new_session=True)\n"
    "print('tree', child.pid, file=sys.stderr, flush=True)\n"
    "while True: signal.pause()\n"
)
# The classic daemon: a middle process starts a setsid'd child and exits, so the child is an orphan at once.
DAEMONIZER = (
    "import os, subprocess, sys\n"
    f"child = subprocess.Popen([sys.executable, '-c', {STUBBORN!r}], start_new_session=True)\n"
    "os.write(int(sys.argv[1]), f'{child.pid}\\n'.encode())\n"
)
SERVER_WITH_DAEMON = (
    "import os, signal, subprocess, sys\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "r, w = os.pipe()\n"
    f"subprocess.run([sys.executable, '-c', {DAEMONIZER!r}, str(w)], pass_fds=[w], check=True)\n"
    "daemon = int(os.read(r, 64))\n"
    "print('tree', daemon, file=sys.stderr, flush=True)\n"
    "while True: signal.pause()\n"
)
SERVER_LEAVING_A_CHILD = (
    "import subprocess, sys\n"
    f"child = subprocess.Popen([sys.executable, '-c', {STUBBORN!r}], start_new_session=True)\n"
    "print('tree', child.pid, file=sys.stderr, flush=True)\n"
    "sys.stdin.read()\n"  # exits when Claude closes stdin, leaving its setsid'd child behind
)


@pytest.fixture
def seen() -> Iterator[list[int]]:
    """Pids a test saw; any still running at the end is killed, so a failing test leaves nothing either."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        try:
            psutil.Process(pid).kill()
        except psutil.Error:
            continue


def _tree(proc: subprocess.Popen[bytes], name: str) -> tuple[int, int, int]:
    """(keeper, server, the descendant the server printed), once the server says its tree is up."""
    out = read_until(proc, b"tree ")
    while b"\n" not in out.split(b"tree ", 1)[1]:
        out += read_until(proc, b"\n")
    descendant = int(out.split(b"tree ", 1)[1].split()[0])
    record = read_status(name)
    assert record is not None and record.pid is not None
    keeper = psutil.Process(record.pid).ppid()
    return keeper, record.pid, descendant


def _all_gone(pids: list[int], since: float) -> tuple[bool, float]:
    """Whether every pid is gone within GONE_DEADLINE_S of `since` (time.monotonic()), and when the last went."""
    gone = all(wait_gone(pid, timeout=max(0.0, GONE_DEADLINE_S - (time.monotonic() - since))) for pid in pids)
    return gone, time.monotonic() - since


def test_sigkill_of_the_launcher_ends_a_server_ignoring_sigterm_and_its_setsid_grandchild(seen: list[int]) -> None:
    proc = start_launcher("stubborn-tree", python_server(SERVER_WITH_SETSID_CHILD))
    keeper, server, grandchild = _tree(proc, "stubborn-tree")
    seen += [keeper, server, grandchild]
    assert psutil.Process(keeper).name() == KEEPER_NAME.decode()
    assert psutil.Process(keeper).ppid() == proc.pid
    assert os.getsid(grandchild) != os.getsid(server)  # it left the server's session: a group signal misses it

    killed = time.monotonic()
    proc.kill()
    finish(proc)
    gone, took = _all_gone([server, grandchild, keeper], killed)

    assert gone, [p for p in seen if psutil.pid_exists(p)]
    # SIGTERM was ignored, so only the SIGKILL after the grace ended them: the grace was waited, not skipped.
    assert took >= TERM_GRACE_S - 0.5


def test_sigkill_of_the_launcher_ends_a_double_forked_daemon_the_server_started(seen: list[int]) -> None:
    proc = start_launcher("daemonizing", python_server(SERVER_WITH_DAEMON))
    keeper, server, daemon = _tree(proc, "daemonizing")
    seen += [keeper, server, daemon]
    # Its parent exited, so it was re-parented: to the keeper (the subreaper), not to init.
    assert psutil.Process(daemon).ppid() == keeper

    killed = time.monotonic()
    proc.kill()
    finish(proc)
    gone, _took = _all_gone([server, daemon, keeper], killed)

    assert gone, [p for p in seen if psutil.pid_exists(p)]


def test_what_a_server_leaves_behind_when_it_exits_goes_with_it(seen: list[int]) -> None:
    proc = start_launcher("leaver", python_server(SERVER_LEAVING_A_CHILD))
    keeper, server, child = _tree(proc, "leaver")
    seen += [keeper, server, child]

    closed = time.monotonic()
    code, _out, _err = finish(proc)  # closes stdin: the server exits 0 by itself

    assert code == 0
    gone, _took = _all_gone([server, child, keeper], closed)
    assert gone, [p for p in seen if psutil.pid_exists(p)]


def test_the_keeper_holds_none_of_claudes_pipes(seen: list[int]) -> None:
    proc = start_launcher("pipes", python_server(SERVER_WITH_SETSID_CHILD))
    keeper, server, grandchild = _tree(proc, "pipes")
    seen += [keeper, server, grandchild]
    try:
        claude_ends = {os.readlink(f"/proc/{proc.pid}/fd/{fd}") for fd in (0, 1, 2)}
        keeper_fds = {os.readlink(f"/proc/{keeper}/fd/{fd}") for fd in os.listdir(f"/proc/{keeper}/fd")}
        assert claude_ends.isdisjoint(keeper_fds), keeper_fds
    finally:
        stopped = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        finish(proc)
    gone, _took = _all_gone([server, grandchild, keeper], stopped)
    assert gone
