"""Tunnels recover by themselves from the ways real connections break, against a real sshd.

Faults are made for real: the sshd session process is killed or frozen with SIGSTOP, sshd is stopped and started
again on the same port, the local port is taken by another socket, the remote port has no listener. Waits are on
the tunnel's own state changes with deadlines, never sleeps.
"""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import pytest

from fixtures.sshd import SshServer, Target, free_port
from plugboard.core.backoff import Backoff
from plugboard.core.tunnel.profile import TunnelProfile
from plugboard.core.tunnel.state import TunnelState
from plugboard.core.tunnel.tunnel import Tunnel

pytestmark = pytest.mark.usefixtures("user_known_hosts")

UP_TIMEOUT_S = 20.0
IO_TIMEOUT_S = 10.0
# Quick retries keep the fault tests short; production defaults are exercised in test_backoff unit tests.
FAST_BACKOFF = Backoff(first_s=0.2, cap_s=1.0, jitter=0.2, stable_after_s=60.0)
# The promise: a frozen server is noticed within 20 s with the default 5 s × 3 watchdog.
FROZEN_DETECTION_LIMIT_S = 20.0


def profile_for(sshd: SshServer, remote_port: int, **changes: object) -> TunnelProfile:
    values: dict[str, object] = {
        "name": "droplet",
        "host": "127.0.0.1",
        "port": sshd.port,
        "user": "root",
        "auth": "key",
        "key_file": str(sshd.keys.ed25519),
        "remote_port": remote_port,
        "keepalive_interval_s": 1.0,
        "keepalive_count": 3,
    }
    values.update(changes)
    return TunnelProfile(**values)  # type: ignore[arg-type]


def echo_once(port: int, payload: bytes = b"ping") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


class Recorder:
    def __init__(self) -> None:
        self.states: list[TunnelState] = []

    def __call__(self, state: TunnelState) -> None:
        self.states.append(state)

    def kinds(self) -> list[str]:
        return [s.kind for s in self.states]


@pytest.fixture
def trusted(sshd: SshServer, user_known_hosts: Path) -> SshServer:
    user_known_hosts.write_text(sshd.known_hosts_line())
    return sshd


def started(profile: TunnelProfile, recorder: Recorder | None = None) -> Tunnel:
    tunnel = Tunnel(profile, backoff=FAST_BACKOFF)
    if recorder is not None:
        tunnel.subscribe(recorder)
    tunnel.start()
    return tunnel


def test_killed_session_process_is_replaced_and_the_local_port_stays_the_same(trusted: SshServer, echo_target: Target):
    recorder = Recorder()
    with started(profile_for(trusted, echo_target.port), recorder) as tunnel:
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
        port = tunnel.local_port
        assert trusted.signal_sessions(signal.SIGKILL) >= 1
        state = tunnel.wait_for(lambda s: s.kind == "reconnecting", UP_TIMEOUT_S)
        assert state.kind == "reconnecting" and state.attempt == 1 and state.next_try_s is not None
        assert state.problem is not None and state.problem.kind == "network"
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
        assert tunnel.local_port == port
        assert echo_once(port or 0, b"again") == b"again"
    assert recorder.kinds()[:4] == ["connecting", "up", "reconnecting", "connecting"]
    assert recorder.kinds()[-2:] == ["up", "stopped"]


def test_stopped_sshd_is_retried_with_growing_waits_until_it_is_back(trusted: SshServer, echo_target: Target):
    recorder = Recorder()
    with started(profile_for(trusted, echo_target.port), recorder) as tunnel:
        assert tunnel.wait_up(UP_TIMEOUT_S)
        trusted.stop()
        state = tunnel.wait_for(lambda s: s.kind == "reconnecting" and s.attempt >= 3, UP_TIMEOUT_S)
        assert state.attempt >= 3, state.describe()
        assert state.problem is not None and state.problem.kind == "network"
        assert "refused" in state.problem.message
        trusted.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
        assert echo_once(tunnel.local_port or 0) == b"ping"
    waits = [s.next_try_s for s in recorder.states if s.kind == "reconnecting" and s.next_try_s]
    assert waits[0] < FAST_BACKOFF.first_s + 1e-9
    assert max(waits) <= FAST_BACKOFF.cap_s


def test_frozen_session_is_detected_within_twenty_seconds_by_the_default_watchdog_and_replaced(
    trusted: SshServer, echo_target: Target
):
    profile = profile_for(trusted, echo_target.port, keepalive_interval_s=5.0, keepalive_count=3)
    with started(profile) as tunnel:
        assert tunnel.wait_up(UP_TIMEOUT_S)
        assert trusted.signal_sessions(signal.SIGSTOP) >= 1
        frozen_at = time.monotonic()
        try:
            state = tunnel.wait_for(lambda s: s.kind != "up", FROZEN_DETECTION_LIMIT_S + 5)
            detected_after = time.monotonic() - frozen_at
            assert state.kind == "reconnecting", state.describe()
            assert detected_after <= FROZEN_DETECTION_LIMIT_S, detected_after
            print(f"frozen session detected after {detected_after:.1f} s")
            assert state.problem is not None and "stopped answering" in state.problem.message
            # The listener is alive, so a fresh connection replaces the frozen one.
            assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
            assert echo_once(tunnel.local_port or 0) == b"ping"
        finally:
            trusted.signal_sessions(signal.SIGCONT)


def test_frozen_server_including_its_listener_recovers_after_sigcont(trusted: SshServer, echo_target: Target):
    assert trusted.proc is not None
    with started(profile_for(trusted, echo_target.port)) as tunnel:
        assert tunnel.wait_up(UP_TIMEOUT_S)
        trusted.signal_sessions(signal.SIGSTOP)
        trusted.proc.send_signal(signal.SIGSTOP)
        try:
            state = tunnel.wait_for(lambda s: s.kind == "reconnecting", 3 * 3 + 5)
            assert state.kind == "reconnecting", state.describe()
        finally:
            trusted.proc.send_signal(signal.SIGCONT)
            trusted.signal_sessions(signal.SIGCONT)
        assert tunnel.wait_up(UP_TIMEOUT_S + 15), tunnel.state.describe()
        assert echo_once(tunnel.local_port or 0) == b"ping"


def test_local_port_already_taken_fails_at_once_as_port_in_use(trusted: SshServer, echo_target: Target):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        taken = squatter.getsockname()[1]
        with started(profile_for(trusted, echo_target.port, local_port=taken)) as tunnel:
            state = tunnel.state
            assert state.kind == "failed"
            assert state.problem is not None and state.problem.kind == "port"
            assert str(taken) in state.problem.message
    assert "Accepted" not in trusted.log_text()  # nothing was attempted over SSH


def test_closed_remote_port_is_reported_as_remote_while_ssh_stays_up_and_recovers_when_it_listens(
    trusted: SshServer,
):
    remote_port = free_port()
    with started(profile_for(trusted, remote_port)) as tunnel:
        state = tunnel.wait_for(lambda s: s.problem is not None, UP_TIMEOUT_S)
        assert state.kind == "reconnecting"
        assert state.problem is not None and state.problem.kind == "remote"
        assert f"{remote_port} refused" in state.problem.message
        assert trusted.wait_log("Accepted publickey for root")
        logins_before = trusted.log_text().count("Accepted publickey")
        # Several refusals later, still the same SSH connection (no new login).
        tunnel.wait_for(lambda s: s.kind == "reconnecting" and s.attempt >= 3, UP_TIMEOUT_S)
        assert trusted.log_text().count("Accepted publickey") == logins_before
        with socket.socket() as service:
            service.bind(("127.0.0.1", remote_port))
            service.listen(8)
            assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
        assert trusted.log_text().count("Accepted publickey") == logins_before


def test_a_client_connecting_while_the_tunnel_is_down_is_closed_at_once_not_left_hanging(
    trusted: SshServer, echo_target: Target
):
    with started(profile_for(trusted, echo_target.port)) as tunnel:
        assert tunnel.wait_up(UP_TIMEOUT_S)
        trusted.stop()
        tunnel.wait_for(lambda s: s.kind == "reconnecting", UP_TIMEOUT_S)
        with socket.create_connection(("127.0.0.1", tunnel.local_port or 0), timeout=IO_TIMEOUT_S) as sock:
            assert sock.recv(10) == b""  # closed by the tunnel, not a timeout
        trusted.start()
        assert tunnel.wait_up(UP_TIMEOUT_S)


def test_close_while_reconnecting_stops_promptly(trusted: SshServer, echo_target: Target):
    with started(profile_for(trusted, echo_target.port)) as tunnel:
        assert tunnel.wait_up(UP_TIMEOUT_S)
        trusted.stop()
        tunnel.wait_for(lambda s: s.kind == "reconnecting", UP_TIMEOUT_S)
        began = time.monotonic()
        tunnel.close()
        assert time.monotonic() - began < 3.0
        tunnel.close()  # twice is fine
        assert tunnel.state.kind == "stopped"


def test_backoff_keeps_growing_across_quick_drops_and_a_drop_after_a_stable_period_reconnects_at_once(
    trusted: SshServer, echo_target: Target
):
    stable = Backoff(first_s=0.1, cap_s=1.0, jitter=0.0, stable_after_s=1.0)
    recorder = Recorder()
    with Tunnel(profile_for(trusted, echo_target.port), backoff=stable) as tunnel:
        tunnel.subscribe(recorder)
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S)
        trusted.signal_sessions(signal.SIGKILL)  # dropped right after coming up: not stable
        first = tunnel.wait_for(lambda s: s.kind == "reconnecting", UP_TIMEOUT_S)
        assert tunnel.wait_up(UP_TIMEOUT_S)
        trusted.signal_sessions(signal.SIGKILL)
        second = tunnel.wait_for(lambda s: s.kind == "reconnecting" and s.attempt > first.attempt, UP_TIMEOUT_S)
        assert (first.attempt, second.attempt) == (1, 2)
        assert second.next_try_s == 2 * (first.next_try_s or 0)
        assert tunnel.wait_up(UP_TIMEOUT_S)
        # Stays up past the stable period (this wait must time out with the tunnel still up).
        assert tunnel.wait_for(lambda s: s.kind != "up", stable.stable_after_s + 0.5).kind == "up"
        seen = len(recorder.states)
        trusted.signal_sessions(signal.SIGKILL)
        # The reconnect is immediate, so the "reconnecting" state may last microseconds: read it from the record.
        tunnel.wait_for(lambda s: s.kind == "up" and "reconnecting" in recorder.kinds()[seen:], UP_TIMEOUT_S)
        third = next(s for s in recorder.states[seen:] if s.kind == "reconnecting")
        assert third.attempt == 1 and third.next_try_s == 0.0  # a connection that worked: reconnect at once
        assert echo_once(tunnel.local_port or 0) == b"ping"


def test_a_remote_service_that_stops_while_up_is_reported_as_remote_and_picked_up_again(trusted: SshServer):
    remote_port = free_port()
    service = socket.socket()
    service.bind(("127.0.0.1", remote_port))
    service.listen(8)
    try:
        with started(profile_for(trusted, remote_port)) as tunnel:
            assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
            logins = trusted.log_text().count("Accepted publickey")
            service.close()
            with socket.create_connection(("127.0.0.1", tunnel.local_port or 0), timeout=IO_TIMEOUT_S) as client:
                assert client.recv(10) == b""  # refused behind the tunnel: closed, not hanging
            state = tunnel.wait_for(lambda s: s.problem is not None, UP_TIMEOUT_S)
            assert state.kind == "reconnecting"
            assert state.problem is not None and state.problem.kind == "remote"
            service = socket.socket()
            service.bind(("127.0.0.1", remote_port))
            service.listen(8)
            assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
            assert trusted.log_text().count("Accepted publickey") == logins  # the same SSH connection throughout
    finally:
        service.close()
