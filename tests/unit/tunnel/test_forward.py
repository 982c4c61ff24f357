"""The forwarder's local end without an SSH server: a channel stand-in over a socketpair plays paramiko's channel, so
the failure of issue 16 (`channel.close()` raising EOFError on a dead transport) can be made at will."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from plugboard.core.tunnel.forward import Forwarder, bind_listener

IO_TIMEOUT_S = 5.0


class DeadTransportChannel:
    """Enough of `paramiko.Channel` for the pumps: bytes go to a socketpair's far end; `close()` raises EOFError the
    way paramiko's does when the SSH connection died under it."""

    def __init__(self) -> None:
        self.near, self.far = socket.socketpair()
        self.close_calls = 0

    def recv(self, size: int) -> bytes:
        return self.near.recv(size)

    def sendall(self, data: bytes) -> None:
        self.near.sendall(data)

    def shutdown_write(self) -> None:
        self.near.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.close_calls += 1
        with contextlib.suppress(OSError):
            self.near.shutdown(socket.SHUT_RDWR)  # the pump blocked on it wakes up, as with paramiko's channel
        self.near.close()
        raise EOFError()


@pytest.fixture
def thread_errors() -> Iterator[list[BaseException]]:
    errors: list[BaseException] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)  # type: ignore[assignment,arg-type]
    try:
        yield errors
    finally:
        threading.excepthook = previous


def test_close_survives_a_channel_whose_close_raises_and_always_closes_the_client_socket(
    thread_errors: list[BaseException],
) -> None:
    channels: list[DeadTransportChannel] = []
    opened = threading.Event()

    def open_channel(_peer: tuple[str, int]) -> DeadTransportChannel:
        channel = DeadTransportChannel()
        channels.append(channel)
        opened.set()
        return channel

    forwarder = Forwarder(bind_listener(0), open_channel, "t")  # type: ignore[arg-type]
    forwarder.start()
    client = socket.create_connection(("127.0.0.1", forwarder.port), timeout=IO_TIMEOUT_S)
    try:
        client.sendall(b"ping")
        assert opened.wait(IO_TIMEOUT_S)
        channel = channels[0]
        channel.far.settimeout(IO_TIMEOUT_S)
        assert channel.far.recv(4) == b"ping"  # the pumps run
        forwarder.close()  # must not raise although the channel's close does
        assert client.recv(10) == b""  # the client's connection was closed, not left open
        assert channel.close_calls >= 1
        assert forwarder.active_connections == 0
    finally:
        client.close()
        for channel in channels:
            channel.far.close()
    assert thread_errors == []


def test_a_server_end_that_dies_under_a_connection_closes_it_without_an_error_in_any_thread(
    thread_errors: list[BaseException],
) -> None:
    channels: list[DeadTransportChannel] = []
    opened = threading.Event()

    def open_channel(_peer: tuple[str, int]) -> DeadTransportChannel:
        channels.append(DeadTransportChannel())
        opened.set()
        return channels[-1]

    forwarder = Forwarder(bind_listener(0), open_channel, "t")  # type: ignore[arg-type]
    forwarder.start()
    try:
        with socket.create_connection(("127.0.0.1", forwarder.port), timeout=IO_TIMEOUT_S) as client:
            assert opened.wait(IO_TIMEOUT_S)
            channels[0].far.close()  # the server side goes away: the down pump reads EOF, the pipe closes itself
            assert client.recv(10) == b""
    finally:
        forwarder.close()
        for channel in channels:
            channel.far.close()
    assert thread_errors == []
