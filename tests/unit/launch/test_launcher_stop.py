"""The launcher's stop, with and without the keeper (without it is what macOS gets): Claude closes stdin, the server
ignores EOF and SIGTERM, so the shared sequence ends it with SIGKILL after the graces, says so in the connector's
log, and records the stop. The launcher runs in this process, as in test_launcher_early_signal.py."""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from plugboard.core.launch import keeper, launcher
from plugboard.core.launch.launcher import LaunchSpec, run_connector
from plugboard.core.launch.process_tree import Graces
from plugboard.core.launch.status import RunState, read_status
from plugboard.core.paths import plugboard_dirs

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

FORWARDED = [getattr(signal, n) for n in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, n)]
# Short graces: the steps are under test, not the numbers.
SHORT = Graces(stdin_s=0.2, term_s=0.3, kill_s=5.0)
# A Python child starts in ~50 ms here; 20 s means it is broken.
START_S = 20.0


@pytest.fixture
def own_signal_handlers() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in FORWARDED}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _close_when_up(stderr_read: int, stdin_write: int) -> threading.Thread:
    """Close the server's stdin (as Claude does to stop it) once the server says on stderr that it is set up."""

    def close() -> None:
        seen = b""
        deadline = time.monotonic() + START_S
        while b"up" not in seen and time.monotonic() < deadline:
            if select.select([stderr_read], [], [], max(0.0, deadline - time.monotonic()))[0]:
                seen += os.read(stderr_read, 4096)
        os.close(stdin_write)

    thread = threading.Thread(target=close)
    thread.start()
    return thread


@pytest.mark.parametrize("with_keeper", [True, False], ids=["keeper", "no-keeper"])
def test_a_server_ignoring_eof_and_sigterm_is_killed_after_the_graces_and_the_stop_is_recorded(
    with_keeper: bool, own_signal_handlers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if with_keeper and not keeper.available():
        pytest.skip("the keeper is Linux-only")
    monkeypatch.setattr(launcher, "GRACES", SHORT)
    if not with_keeper:
        monkeypatch.setattr(keeper, "available", lambda: False)
    code = (
        "import signal, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('up', file=sys.stderr, flush=True)\n"
        "while True: signal.pause()\n"
    )
    stdin_read, stdin_write = os.pipe()
    stderr_read, stderr_write = os.pipe()
    closer = _close_when_up(stderr_read, stdin_write)
    try:
        exit_code = run_connector(
            LaunchSpec(name="deaf", command=sys.executable, args=["-c", code]),
            stdin_fd=stdin_read,
            stderr_fd=stderr_write,
        )
    finally:
        closer.join()
        for fd in (stdin_read, stderr_read, stderr_write):
            os.close(fd)

    assert exit_code == 128 + signal.SIGKILL
    record = read_status("deaf")
    assert record is not None and (record.state, record.signal) == (RunState.STOPPED, signal.SIGKILL)
    log = plugboard_dirs().connector_log("deaf").read_text()
    assert "stdin closed and the server still ran" in log
    assert "ignored the stop request" in log and "killing it" in log
