"""A stop signal that reaches the launcher before its server exists (Claude stopping a connector it just started)
is not lost: before the spawn the server is not started at all; during the spawn it is stopped as soon as it exists.

The launcher runs in this process (its signal handlers are this process's, restored after each test); the signal
is sent to ourselves at the exact step under test, so there is no timing to hope for.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from plugboard.core.launch import launcher
from plugboard.core.launch.launcher import LaunchSpec, run_connector
from plugboard.core.launch.status import read_status

FORWARDED = [getattr(signal, n) for n in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, n)]


@pytest.fixture
def own_signal_handlers() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in FORWARDED}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


@pytest.fixture
def stdin_fd() -> Iterator[int]:
    """A stdin the server can wait on for ever: the write end stays open until the test is over."""
    read_end, write_end = os.pipe()
    try:
        yield read_end
    finally:
        os.close(write_end)
        os.close(read_end)


def _run(name: str, marker: Path, stdin_fd: int) -> int:
    # A server that notes it started, then waits on stdin; SIGTERM ends it (default action).
    code = f"import sys; open({str(marker)!r}, 'w').close(); sys.stdin.read()"
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        return run_connector(
            LaunchSpec(name=name, command=sys.executable, args=["-c", code]), stdin_fd=stdin_fd, stderr_fd=devnull
        )
    finally:
        os.close(devnull)


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_a_sigterm_before_the_spawn_means_the_server_is_never_started(
    own_signal_handlers: None, stdin_fd: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install = launcher._Run.install_signal_handlers

    def install_then_signal(self: launcher._Run) -> None:
        install(self)
        os.kill(os.getpid(), signal.SIGTERM)  # handled here, before install_signal_handlers returns

    monkeypatch.setattr(launcher._Run, "install_signal_handlers", install_then_signal)
    marker = tmp_path / "started"
    assert _run("early", marker, stdin_fd) == 128 + signal.SIGTERM
    assert not marker.exists()
    record = read_status("early")
    assert record is not None
    assert (record.state, record.signal, record.pid) == ("stopped", signal.SIGTERM, None)


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_a_sigterm_during_the_spawn_stops_the_server_as_soon_as_it_exists(
    own_signal_handlers: None, stdin_fd: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spawn = launcher._Run.spawn

    def signal_then_spawn(self: launcher._Run, argv: list[str], env: dict[str, str]) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while there is no child yet
        spawn(self, argv, env)

    monkeypatch.setattr(launcher._Run, "spawn", signal_then_spawn)
    # Without the fix the server runs until the kill timer's SIGKILL (exit 137), or for ever.
    assert _run("spawning", tmp_path / "started", stdin_fd) == 128 + signal.SIGTERM
    record = read_status("spawning")
    assert record is not None
    assert (record.state, record.signal) == ("stopped", signal.SIGTERM)
    assert record.pid is not None
