"""Fixtures every test gets.

- Isolation: each test has its own PLUGBOARD_HOME and its own Claude config path, so no test touches the real ones.
- Leak guard (STYLE.md §6): a test that leaves a Python thread or a child process behind fails. Child processes get a
  short grace period to be reaped, then are killed so one leak does not cascade into the next test.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

# Qt tests never need a real screen (STYLE.md: headless); the check script sets this too.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["fixtures.keyring", "fixtures.sshd", "fixtures.npm"]

# How long a finished test may take to let its threads and children wind down before we call them leaked.
LEAK_GRACE_S = 5.0


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "plugboard-home"
    monkeypatch.setenv("PLUGBOARD_HOME", str(home))
    monkeypatch.setenv("PLUGBOARD_CLAUDE_CONFIG", str(tmp_path / "Claude" / "claude_desktop_config.json"))
    return home


@pytest.fixture
def claude_config(tmp_path: Path) -> Path:
    """The isolated Claude config path (its folder exists; the file does not)."""
    path = tmp_path / "Claude" / "claude_desktop_config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


@pytest.fixture(autouse=True)
def no_leaked_threads_or_processes() -> Iterator[None]:
    threads_before = set(threading.enumerate())
    children_before = _children()
    yield
    deadline = time.monotonic() + LEAK_GRACE_S
    # Join what is still winding down, each wait bounded by the shared deadline.
    for thread in [t for t in threading.enumerate() if t not in threads_before]:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    procs = []
    for pid in _children() - children_before:
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    _gone, alive = psutil.wait_procs(procs, timeout=max(0.0, deadline - time.monotonic()))
    leaked = [f"thread {t.name!r}" for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    for proc in alive:
        try:
            leaked.append(f"process {proc.pid} {proc.cmdline()!r}")
            proc.kill()
        except psutil.Error:
            continue
    if leaked:
        pytest.fail("test left behind: " + ", ".join(leaked), pytrace=False)
