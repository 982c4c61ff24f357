"""The one stop sequence (close stdin → grace → first signal to the group and every member → grace → SIGKILL),
with real processes: each step is taken only when the one before did not end the tree, and a descendant that left
the group is reached too."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import psutil
import pytest

from plugboard.core.launch.process_tree import Graces, PopenTree, terminate_tree

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups and POSIX signals")

# Short graces: the steps, not the numbers, are under test. The SIGKILL wait stays generous for a loaded machine.
SHORT = Graces(stdin_s=0.3, term_s=0.5, kill_s=5.0)
# A Python child starts in ~50 ms here; 20 s means it is broken, not slow.
START_S = 20.0

IGNORES_SIGTERM = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"


def _start(code: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True
    )
    assert proc.stdout is not None
    return proc


def _ready(proc: subprocess.Popen[bytes]) -> list[int]:
    """The pids the child printed once it is set up (its own first)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], START_S)
    assert ready, "the child did not start"
    return [int(p) for p in proc.stdout.readline().split()]


def _close(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()


def test_a_server_that_leaves_on_eof_is_never_signalled() -> None:
    proc = _start("import os, sys; print(os.getpid(), flush=True); sys.stdin.read()")
    _ready(proc)
    kills: list[str] = []

    gone = terminate_tree(
        PopenTree(proc), close_stdin=lambda: _close(proc), graces=SHORT, on_kill=lambda: kills.append("kill")
    )

    assert gone and proc.returncode == 0 and kills == []
    proc.stdout.close()  # type: ignore[union-attr]


def test_a_server_that_ignores_eof_gets_sigterm_and_no_sigkill() -> None:
    proc = _start("import os, signal; print(os.getpid(), flush=True); signal.pause()")
    _ready(proc)

    gone = terminate_tree(PopenTree(proc), close_stdin=lambda: _close(proc), graces=SHORT)

    assert gone and proc.returncode == -signal.SIGTERM
    proc.stdout.close()  # type: ignore[union-attr]


def test_a_stubborn_tree_with_a_setsid_child_is_killed_after_the_graces() -> None:
    stubborn = IGNORES_SIGTERM + "signal.pause()"
    code = (
        IGNORES_SIGTERM + "import os, subprocess, sys\n"
        f"child = subprocess.Popen([sys.executable, '-c', {stubborn!r}], start_new_session=True)\n"
        "print(os.getpid(), child.pid, flush=True)\n"
        "signal.pause()\n"
    )
    proc = _start(code)
    _server, child = _ready(proc)
    assert os.getsid(child) != os.getsid(proc.pid)
    kills: list[float] = []
    started = time.monotonic()

    gone = terminate_tree(
        PopenTree(proc), close_stdin=lambda: _close(proc), graces=SHORT, on_kill=lambda: kills.append(time.monotonic())
    )

    assert gone and proc.returncode == -signal.SIGKILL
    assert not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE
    # The SIGKILL came only after both graces were waited.
    assert len(kills) == 1 and kills[0] - started >= SHORT.stdin_s + SHORT.term_s - 0.05
    proc.stdout.close()  # type: ignore[union-attr]


def test_running_the_sequence_again_on_a_gone_tree_is_harmless() -> None:
    proc = _start("import os, sys; print(os.getpid(), flush=True); sys.stdin.read()")
    _ready(proc)
    tree = PopenTree(proc)
    assert terminate_tree(tree, close_stdin=lambda: _close(proc), graces=SHORT)

    assert terminate_tree(tree, close_stdin=lambda: _close(proc), graces=SHORT)
    assert proc.returncode == 0
    proc.stdout.close()  # type: ignore[union-attr]
