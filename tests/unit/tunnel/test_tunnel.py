"""The Tunnel owner without an SSH server: port-in-use, unreachable server, events, bounded idempotent close."""

from __future__ import annotations

import socket
import time

import pytest

from plugboard.core.backoff import Backoff
from plugboard.core.tunnel.profile import TunnelProfile
from plugboard.core.tunnel.state import TunnelState
from plugboard.core.tunnel.tunnel import Tunnel

FAST = Backoff(first_s=0.05, cap_s=0.2, jitter=0.0)
WAIT_S = 10.0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def profile(**changes: object) -> TunnelProfile:
    values: dict[str, object] = {
        "name": "t",
        "host": "127.0.0.1",
        "port": closed_port(),
        "user": "u",
        "remote_port": 5000,
    }
    values.update(changes)
    return TunnelProfile(**values)  # type: ignore[arg-type]


def test_a_taken_local_port_is_a_final_port_failure_before_any_connection():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        tunnel = Tunnel(profile(local_port=squatter.getsockname()[1]), backoff=FAST)
        tunnel.start()
        state = tunnel.state
        tunnel.close()
    assert state.kind == "failed" and state.problem is not None and state.problem.kind == "port"
    assert "already in use" in state.problem.message


def test_an_unreachable_server_is_retried_with_network_problems_and_the_port_is_kept():
    states: list[TunnelState] = []
    tunnel = Tunnel(profile(), backoff=FAST)
    tunnel.subscribe(states.append)
    tunnel.start()
    try:
        port = tunnel.local_port
        state = tunnel.wait_for(lambda s: s.kind == "reconnecting" and s.attempt >= 3, WAIT_S)
        assert state.attempt >= 3
        assert state.problem is not None and state.problem.kind == "network"
        assert "cannot reach" in state.problem.message
        assert tunnel.local_port == port
        with socket.socket() as probe, pytest.raises(OSError):
            probe.bind(("127.0.0.1", port or 0))  # still ours
    finally:
        tunnel.close()
    kinds = [s.kind for s in states]
    assert kinds[0] == "connecting" and kinds[-1] == "stopped"
    assert {s.local_port for s in states} == {port}


def test_unsubscribed_callbacks_hear_nothing_and_a_failing_callback_does_not_stop_the_tunnel():
    heard: list[str] = []

    def broken(_state: TunnelState) -> None:
        raise RuntimeError("listener bug")

    tunnel = Tunnel(profile(), backoff=FAST)
    tunnel.subscribe(broken)
    unsubscribe = tunnel.subscribe(lambda s: heard.append(s.kind))
    tunnel.start()
    try:
        tunnel.wait_for(lambda s: s.kind == "reconnecting", WAIT_S)
        unsubscribe()
        count = len(heard)
        tunnel.wait_for(lambda s: s.kind == "reconnecting" and s.attempt >= 3, WAIT_S)
        assert len(heard) == count
        assert tunnel.state.kind in {"connecting", "reconnecting"}
    finally:
        tunnel.close()


def test_close_is_bounded_idempotent_and_releases_the_port():
    tunnel = Tunnel(profile(), backoff=FAST)
    tunnel.start()
    port = tunnel.local_port
    began = time.monotonic()
    tunnel.close()
    tunnel.close()
    assert time.monotonic() - began < 3.0
    assert tunnel.state.kind == "stopped"
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port or 0))


def test_close_before_start_is_harmless_and_start_after_close_is_refused():
    tunnel = Tunnel(profile())
    tunnel.close()
    assert tunnel.state.kind == "stopped"
    with pytest.raises(RuntimeError):
        tunnel.start()


def test_wait_up_returns_false_at_its_deadline_while_still_trying():
    with Tunnel(profile(), backoff=FAST) as tunnel:
        tunnel.start()
        began = time.monotonic()
        assert tunnel.wait_up(0.3) is False
        assert 0.25 <= time.monotonic() - began < 2.0


def test_from_store_builds_the_tunnel_of_a_saved_profile_and_names_unknown_ones():
    from plugboard.core.errors import NotFoundError
    from plugboard.core.tunnel.profile import save_profile

    saved = profile(name="droplet")
    save_profile(saved)
    tunnel = Tunnel.from_store("droplet")
    assert tunnel.profile == saved and tunnel.state.kind == "idle"
    tunnel.close()
    with pytest.raises(NotFoundError, match="no tunnel named 'nope'"):
        Tunnel.from_store("nope")
