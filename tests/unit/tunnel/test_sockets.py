"""The QUICKACK socket wrapper re-arms TCP_QUICKACK after each send and after receives, and forwards everything else."""

from __future__ import annotations

import socket

import pytest

from plugboard.core.tunnel.sockets import QuickAckSocket, connect_tcp, quickack_supported


@pytest.fixture
def connected_pair():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        client = connect_tcp("127.0.0.1", server.getsockname()[1], timeout=5)
        peer, _ = server.accept()
        try:
            yield client, peer
        finally:
            client.close()
            peer.close()


def test_connect_tcp_turns_nagle_off(connected_pair):
    client, _peer = connected_pair
    assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


@pytest.mark.skipif(not quickack_supported(), reason="TCP_QUICKACK is Linux-only")
def test_quickack_is_armed_again_after_a_read_that_drains_the_socket(connected_pair):
    client, peer = connected_pair
    wrapped = QuickAckSocket(client)
    for _ in range(3):
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
        peer.sendall(b"x")
        assert wrapped.recv(16) == b"x"  # short: the end of what arrived, where a delayed ACK would stall sshd
        assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) == 1


@pytest.mark.skipif(not quickack_supported(), reason="TCP_QUICKACK is Linux-only")
@pytest.mark.parametrize("method", ["send", "sendall"])
def test_quickack_is_armed_again_after_every_send_because_the_reply_comes_next(connected_pair, method):
    client, peer = connected_pair
    wrapped = QuickAckSocket(client)
    for _ in range(3):
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
        getattr(wrapped, method)(b"request")
        assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) == 1
    assert peer.recv(64).startswith(b"request")


def test_full_reads_of_a_bulk_transfer_rearm_only_every_interval(connected_pair, monkeypatch):
    from plugboard.core.tunnel import sockets

    now = [1000.0]
    monkeypatch.setattr(sockets.time, "monotonic", lambda: now[0])
    client, peer = connected_pair
    wrapped = QuickAckSocket(client)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
    peer.sendall(b"abcd")
    assert wrapped.recv(2) == b"ab"  # full, more queued, within the interval: no system call
    assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) == 0
    now[0] += sockets.REARM_EVERY_S * 2
    assert wrapped.recv(2) == b"cd"
    assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) == 1


def test_other_calls_reach_the_wrapped_socket(connected_pair):
    client, peer = connected_pair
    wrapped = QuickAckSocket(client)
    wrapped.settimeout(2.5)
    assert client.gettimeout() == 2.5
    wrapped.sendall(b"hi")
    assert peer.recv(2) == b"hi"
    assert wrapped.fileno() == client.fileno()
