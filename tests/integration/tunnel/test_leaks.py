"""Fifty rounds of tunnels meeting faults leak no threads, file descriptors or processes.

Each round starts a fresh `Tunnel`, moves bytes, breaks the connection in one of three real ways (session process
killed, session frozen with SIGSTOP and caught by a fast watchdog, sshd restarted), waits for the recovery, moves bytes
again and closes. Afterwards the process must hold exactly the threads it had, no more file descriptors than it had
(plus a small allowance for buffered interpreter state), and only the child processes it had.
"""

from __future__ import annotations

import signal
import socket
import threading
from pathlib import Path

import psutil
import pytest

from fixtures.sshd import SshServer, Target
from plugboard.core.backoff import Backoff
from plugboard.core.tunnel.profile import TunnelProfile
from plugboard.core.tunnel.tunnel import Tunnel

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("user_known_hosts"), pytest.mark.timeout(600)]

ROUNDS = 50
UP_TIMEOUT_S = 20.0
FAST_BACKOFF = Backoff(first_s=0.1, cap_s=0.5, jitter=0.2, stable_after_s=60.0)
# Allowance for descriptors Python or OpenSSL open lazily and keep (e.g. /dev/urandom); a leak of one socket per
# round would show as 50.
FD_ALLOWANCE = 3
# sshd's session processes exit when their connection closes; a stopped-then-continued one may take a moment.
SESSION_EXIT_S = 10.0


def echo_once(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


def one_round(n: int, sshd: SshServer, profile: TunnelProfile) -> None:
    with Tunnel(profile, backoff=FAST_BACKOFF) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), f"round {n}: {tunnel.state.describe()}"
        port = tunnel.local_port or 0
        assert echo_once(port, b"before %d" % n) == b"before %d" % n
        fault = n % 3
        frozen: list[psutil.Process] = []
        if fault == 0:
            assert sshd.signal_sessions(signal.SIGKILL) >= 1
        elif fault == 1:
            frozen = sshd.session_processes()
            sshd.signal_sessions(signal.SIGSTOP)
        else:
            sshd.restart()
        try:
            state = tunnel.wait_for(lambda s: s.kind != "up", UP_TIMEOUT_S)
            assert state.kind in {"reconnecting", "connecting"}, f"round {n}: {state.describe()}"
            assert tunnel.wait_up(UP_TIMEOUT_S), f"round {n} fault {fault}: {tunnel.state.describe()}"
        finally:
            for proc in frozen:
                try:
                    proc.send_signal(signal.SIGCONT)
                except psutil.NoSuchProcess:
                    continue
        assert tunnel.local_port == port
        assert echo_once(port, b"after %d" % n) == b"after %d" % n
    psutil.wait_procs(frozen, timeout=SESSION_EXIT_S)


def test_fifty_fault_rounds_leak_no_threads_descriptors_or_processes(
    sshd: SshServer, echo_target: Target, user_known_hosts: Path
):
    user_known_hosts.write_text(sshd.known_hosts_line())
    profile = TunnelProfile(
        name="loop",
        host="127.0.0.1",
        port=sshd.port,
        user="root",
        auth="key",
        key_file=str(sshd.keys.ed25519),
        remote_port=echo_target.port,
        keepalive_interval_s=0.5,
        keepalive_count=2,
    )
    me = psutil.Process()
    one_round(0, sshd, profile)  # warm-up: lazy imports and caches settle
    sessions_gone = psutil.wait_procs(sshd.session_processes(), timeout=SESSION_EXIT_S)[1] == []
    assert sessions_gone
    threads_before = {t.ident for t in threading.enumerate()}
    fds_before = me.num_fds()
    children_before = {p.pid for p in me.children(recursive=True)}

    for n in range(1, ROUNDS + 1):
        one_round(n, sshd, profile)

    _gone, alive = psutil.wait_procs(sshd.session_processes(), timeout=SESSION_EXIT_S)
    assert alive == [], f"sshd sessions left: {alive}"
    # The fixture's log reader is replaced with each sshd restart; it is the test's, not the tunnel's.
    leaked_threads = [
        t.name for t in threading.enumerate() if t.ident not in threads_before and t is not sshd.log_reader
    ]
    assert not leaked_threads, leaked_threads
    fds_after = me.num_fds()
    print(f"after {ROUNDS} rounds: descriptors {fds_before} -> {fds_after}, threads {len(threads_before)}")
    assert fds_after <= fds_before + FD_ALLOWANCE, (fds_before, fds_after)
    # sshd was restarted in some rounds: compare by "only sshd's listener and our targets", not by pid.
    children_after = me.children(recursive=True)
    unexpected = [p for p in children_after if p.pid not in children_before and sshd.proc and p.pid != sshd.proc.pid]
    assert unexpected == [], unexpected
    assert len(children_after) == len(children_before)
