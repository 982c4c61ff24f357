"""Request/response latency through a tunnel to a real sshd: no 40 ms delayed-ACK stall (FACTS.md §C.4, issue 16).

sshd leaves Nagle on for a forward-only connection, so the second SSH packet of an answer waits until we ACK the
first; if Linux delays that ACK (~40 ms), every answer that sshd sends in two packets (an SSE answer's head, then its
event) stalls. The `twopart` target answers in exactly that shape.
"""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.sshd import SshServer, Target, start_target, stop_target
from plugboard.core.tunnel.profile import TunnelProfile
from plugboard.core.tunnel.sockets import quickack_supported
from plugboard.core.tunnel.tunnel import Tunnel

UP_TIMEOUT_S = 20.0  # a login on a loaded 2-core box; normally ~0.1 s
IO_TIMEOUT_S = 10.0
ROUNDS = 30
# An answer takes ~3 ms here (the target's 2 ms gap included); a delayed ACK adds ~40 ms. The median sits far from
# both, so a loaded machine does not make it flaky.
STALL_S = 0.02


@pytest.fixture(scope="module")
def two_part_target() -> Iterator[Target]:
    target = start_target("twopart")
    yield target
    stop_target(target)


@pytest.mark.skipif(not quickack_supported(), reason="the cure is TCP_QUICKACK (Linux); elsewhere pty_nodelay")
def test_an_answer_sshd_sends_in_two_packets_comes_back_without_the_delayed_ack_stall(
    sshd: SshServer, two_part_target: Target, user_known_hosts: Path
) -> None:
    user_known_hosts.write_text(sshd.known_hosts_line())
    profile = TunnelProfile(
        name="droplet",
        host="127.0.0.1",
        port=sshd.port,
        user="root",
        auth="key",
        key_file=str(sshd.keys.ed25519),
        remote_port=two_part_target.port,
    )
    with Tunnel(profile) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
        with socket.create_connection(("127.0.0.1", tunnel.local_port or 0), timeout=IO_TIMEOUT_S) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            took = []
            for _ in range(ROUNDS):
                began = time.monotonic()
                sock.sendall(b"request\n")
                answer = b""
                while answer != b"head\ntail\n":
                    data = sock.recv(64)
                    assert data, f"the tunnel closed after {answer!r}"
                    answer += data
                took.append(time.monotonic() - began)
    # Before issue 16's fix most answers took ~42 ms: the ACK of the first packet was delayed because a request had
    # just been sent on the SSH connection.
    assert statistics.median(took) < STALL_S, [f"{t * 1000:.1f} ms" for t in took]
