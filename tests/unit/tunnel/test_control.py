"""Process control of `plugboard tunnel up` / `down` (core/tunnel/control.py) with real processes and sockets: the run
record while a tunnel runs, refusing a second `up`, `down` waiting for the process to go (or saying it did not), and
the stop signals. End to end against a real sshd: tests/integration/tunnel/test_cli.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from plugboard.core.errors import PlugboardError
from plugboard.core.tunnel.control import remove_profile, run_until_stopped, stop_on_signals, stop_running
from plugboard.core.tunnel.profile import TunnelProfile, load_profiles, save_profile
from plugboard.core.tunnel.runfile import read_record, write_record
from plugboard.core.tunnel.state import TunnelState

# A child interpreter that imports plugboard and writes its record: well under a second, 30 s on a loaded machine.
CHILD_READY_S = 30.0
# How long these tests wait for a tunnel thread or a signal to be noticed (each normally takes milliseconds).
NOTICE_S = 10.0

# Writes a run record for itself, says so, then waits; IGNORE_TERM makes it shrug off SIGTERM.
CHILD = """
import os, signal, sys, time
from plugboard.core.tunnel.runfile import write_record
from plugboard.core.tunnel.state import TunnelState
if os.environ.get("IGNORE_TERM"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
write_record("droplet", TunnelState("up", local_port=5000), time.time())
print("ready", flush=True)
sys.stdin.read()
"""


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def profile(**changes: object) -> TunnelProfile:
    base = TunnelProfile(name="droplet", host="127.0.0.1", port=closed_port(), user="root", remote_port=5000)
    return base.with_changes(**changes)


@pytest.fixture
def child() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []

    def start(**env: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        procs.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.communicate(timeout=CHILD_READY_S)


def test_down_refuses_a_tunnel_that_is_not_running():
    with pytest.raises(PlugboardError, match="tunnel 'droplet' is not running"):
        stop_running("droplet")


def test_down_terminates_the_process_in_the_run_record_and_waits_until_it_is_gone(child):
    proc = child()
    assert read_record("droplet") is not None

    pid = stop_running("droplet")

    assert pid == proc.pid
    assert proc.wait(timeout=NOTICE_S) == -signal.SIGTERM


def test_down_says_so_when_the_process_ignores_the_request_to_stop(child):
    proc = child(IGNORE_TERM="1")

    with pytest.raises(PlugboardError, match=rf"tunnel 'droplet' \(pid {proc.pid}\) did not stop within 0 s"):
        stop_running("droplet", wait_s=0.3)
    assert proc.poll() is None


def test_up_refuses_a_name_another_live_process_runs():
    write_record("droplet", TunnelState("up", local_port=5000), time.time())  # this very process: alive
    with pytest.raises(PlugboardError, match=rf"already up \(pid {os.getpid()}\)"):
        run_until_stopped(profile(), threading.Event())


def test_up_keeps_the_run_record_while_it_runs_and_removes_it_when_stopped():
    stop = threading.Event()
    seen: list[TunnelState] = []
    outcome: list[TunnelState] = []
    runner = threading.Thread(target=lambda: outcome.append(run_until_stopped(profile(), stop, on_state=seen.append)))
    runner.start()
    deadline = time.monotonic() + NOTICE_S
    while (record := read_record("droplet")) is None and time.monotonic() < deadline:
        stop.wait(0.01)
    try:
        assert record is not None and record.pid == os.getpid()
        assert record.state["state"] in ("connecting", "reconnecting")  # nothing listens on the SSH port
    finally:
        stop.set()
        runner.join(NOTICE_S)
    assert not runner.is_alive()
    assert read_record("droplet") is None
    assert seen[0].kind == "connecting" and seen[-1].kind == "stopped"
    assert outcome[0].kind in ("connecting", "reconnecting")


def test_up_ends_by_itself_on_a_final_state_and_returns_it():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        final = run_until_stopped(profile(local_port=taken.getsockname()[1]), threading.Event())
    assert final.kind == "failed" and final.problem is not None and final.problem.kind == "port"
    assert read_record("droplet") is None


def test_stop_signals_set_the_event_while_the_block_runs_and_the_old_handlers_come_back():
    before = signal.getsignal(signal.SIGTERM)
    with stop_on_signals() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(NOTICE_S)
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_profile_cannot_be_removed_while_an_up_process_runs_it():
    save_profile(profile())
    write_record("droplet", TunnelState("up", local_port=5000), time.time())
    with pytest.raises(PlugboardError, match="`plugboard tunnel down` it first"):
        remove_profile("droplet")
    assert list(load_profiles()) == ["droplet"]
