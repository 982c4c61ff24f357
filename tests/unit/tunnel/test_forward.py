"""The forwarder's local end without an SSH server: a channel stand-in over a socketpair plays paramiko's channel, so
the failure of issue 16 (`channel.close()` raising EOFError on a dead transport) can be made at will, and the pump
threads can be counted across connections."""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
from collections.abc import Iterator

import pytest

from plugboard.core.tunnel import forward
from plugboard.core.tunnel.forward import Forwarder, bind_listener
from waiting import wait_until

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


class LoopbackChannel:
    """A well-behaved channel stand-in: what the pumps send arrives at `far`, what the test writes to `far` comes back
    out of `recv`. Records which threads pumped through it."""

    def __init__(self) -> None:
        self.near, self.far = socket.socketpair()
        self.far.settimeout(IO_TIMEOUT_S)
        self.pump_threads: set[threading.Thread] = set()

    def recv(self, size: int) -> bytes:
        self.pump_threads.add(threading.current_thread())
        return self.near.recv(size)

    def sendall(self, data: bytes) -> None:
        self.pump_threads.add(threading.current_thread())
        self.near.sendall(data)

    def shutdown_write(self) -> None:
        self.near.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.near.shutdown(socket.SHUT_RDWR)
        self.near.close()


@contextlib.contextmanager
def loopback_forwarder() -> Iterator[tuple[Forwarder, queue.SimpleQueue[LoopbackChannel]]]:
    opened: queue.SimpleQueue[LoopbackChannel] = queue.SimpleQueue()
    channels: list[LoopbackChannel] = []

    def open_channel(_peer: tuple[str, int]) -> LoopbackChannel:
        channels.append(LoopbackChannel())
        opened.put(channels[-1])
        return channels[-1]

    forwarder = Forwarder(bind_listener(0), open_channel, "t")  # type: ignore[arg-type]
    forwarder.start()
    try:
        yield forwarder, opened
    finally:
        forwarder.close()
        for channel in channels:
            channel.far.close()


def one_exchange(forwarder: Forwarder, opened: queue.SimpleQueue[LoopbackChannel]) -> LoopbackChannel:
    """A client connects, sends a request, reads the answer and closes, as an MCP client does per SSE call."""
    with socket.create_connection(("127.0.0.1", forwarder.port), timeout=IO_TIMEOUT_S) as client:
        client.sendall(b"request")
        channel = opened.get(timeout=IO_TIMEOUT_S)
        assert channel.far.recv(64) == b"request"
        channel.far.sendall(b"answer")
        assert client.recv(64) == b"answer"
    assert channel.far.recv(64) == b""  # the client's close reached the server end as EOF
    channel.far.close()
    wait_until(lambda: forwarder.active_connections == 0, IO_TIMEOUT_S)
    return channel


def test_connections_one_after_another_reuse_the_same_two_pump_threads() -> None:
    with loopback_forwarder() as (forwarder, opened):
        threads: set[threading.Thread] = set()
        for _ in range(6):
            threads |= one_exchange(forwarder, opened).pump_threads
        # Two new threads per connection would be 12 here, each start on the call's path.
        assert len(threads) <= 2
        assert forwarder.pump_threads <= 2
    assert forwarder.pump_threads == 0
    assert not any(thread.is_alive() for thread in threads)


def test_concurrent_connections_each_get_their_own_pump_threads_and_close_ends_them_all() -> None:
    with loopback_forwarder() as (forwarder, opened):
        clients = [socket.create_connection(("127.0.0.1", forwarder.port), timeout=IO_TIMEOUT_S) for _ in range(3)]
        try:
            channels = []
            for n, client in enumerate(clients):
                client.sendall(b"%d" % n)
                channels.append(opened.get(timeout=IO_TIMEOUT_S))
            got = sorted(channel.far.recv(8) for channel in channels)
            assert got == [b"0", b"1", b"2"]  # each connection pumped, none waiting for another's thread
            wait_until(
                lambda: forwarder.pump_threads == 6, IO_TIMEOUT_S
            )  # two per connection (the down loop starts last)
        finally:
            for client in clients:
                client.close()
    assert forwarder.pump_threads == 0


def test_an_idle_pump_thread_ends_after_the_idle_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forward, "WORKER_IDLE_S", 0.05)
    with loopback_forwarder() as (forwarder, opened):
        one_exchange(forwarder, opened)
        wait_until(lambda: forwarder.pump_threads == 0, IO_TIMEOUT_S)
        one_exchange(forwarder, opened)  # and new ones start when the next connection comes


def test_a_server_that_speaks_first_reaches_a_client_that_has_sent_nothing() -> None:
    with loopback_forwarder() as (forwarder, opened):
        client = socket.create_connection(("127.0.0.1", forwarder.port), timeout=IO_TIMEOUT_S)
        try:
            channel = opened.get(timeout=IO_TIMEOUT_S)
            channel.far.sendall(b"220 banner\r\n")  # an SMTP or SSH server greets before the client says anything
            assert client.recv(64) == b"220 banner\r\n"
            client.sendall(b"HELO")
            assert channel.far.recv(64) == b"HELO"
        finally:
            client.close()


def test_a_client_that_closes_before_its_channel_is_open_is_passed_on_as_eof() -> None:
    with loopback_forwarder() as (forwarder, opened):
        client = socket.create_connection(("127.0.0.1", forwarder.port), timeout=IO_TIMEOUT_S)
        client.sendall(b"last words")
        client.shutdown(socket.SHUT_WR)
        channel = opened.get(timeout=IO_TIMEOUT_S)
        try:
            received = b""
            while data := channel.far.recv(64):
                received += data
            assert received == b"last words"  # then EOF: the server sees the client's half-close
            channel.far.sendall(b"reply")
            assert client.recv(64) == b"reply"  # the other direction still works
        finally:
            client.close()
