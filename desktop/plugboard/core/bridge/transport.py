"""The bridge's httpx transports: TCP without small-packet stalls, or an SSH channel opened in this process; both
hold every read and write to the deadline of the request they serve.

Two network backends for httpcore's connection pool (httpx takes no backend; its pool does — a private attribute,
checked by a unit test), each wrapping its streams in `BridgeStream`:

- `tcp_transport()`: plain TCP. Measured here against an MCP SDK server (uvicorn): 44 ms per tool call with stock
  httpx, 2 ms with this. The server writes a response's head and its first SSE event in two sends without
  TCP_NODELAY, so its Nagle holds the event until we ACK the head, and Linux delays that ACK by ~40 ms (the same
  stall as FACTS.md §C.4, here on plain HTTP). The fix on our side: TCP_NODELAY for our own writes, and TCP_QUICKACK
  re-armed after every recv (Linux resets it). Elsewhere (no TCP_QUICKACK) only TCP_NODELAY.
- `channel_transport.channel_transport(open_channel)` (its own module: it needs paramiko, which a proxy without
  `--ssh` never loads): each HTTP connection is a channel of the proxy's own SSH tunnel, opened in this process.

Deadlines (issue 16: `--timeout` was not enforced on a body trickled at 1 byte/s): httpx's read timeout is per
read, so a server sending a byte a second never trips it. The thread that serves a request sets its deadline
(`deadline_scope`); every read and write on that thread is then given at most the time left, and past the deadline
raises a timeout at once. Only the thread's own request is affected: httpcore reads a response on the thread that
sent it. Waiting for a pooled connection is bounded by the request's `pool` timeout (`request_timeout`).

A connection the server closed is never given a request (`BridgeStream.write`). A response without a length (an SSE
stream that ends when the server closes the connection) reads as complete and keep-alive to h11, so httpcore puts
its connection back in the pool as idle although the server is gone. The pool checks an idle connection's socket
before handing it out, but in a separate pass from the one that hands it out, and a response closing on another
thread makes its connection idle in between (httpcore 1.0: `_response_closed` does not take the pool's lock): a
request then went out on a closed connection and failed with "server disconnected without sending a response",
seen under load with several such streams ending at once. The stream remembers that it read the end, and refuses
the next request before sending a byte with `ConnectionNotAvailable`, httpcore's own signal to take another
connection — safe, since nothing reached the server.

Cancellation (protocol 2026-07-28: closing a request's response stream *is* its cancellation, FACTS.md §D.2): the
thread that serves a request opens a `cancel_scope()`; every stream that thread reads or writes while the scope is
open is remembered by its `Cancel` handle, and `Cancel.cancel()` (from the stdin thread, when the client cancels)
shuts those sockets down — which also wakes a thread still waiting for the response head, where no response object
exists yet to abort — and runs the callbacks registered on it (a wait for the client's own input). A stream used
after the cancellation fails at once. The pooled connection dies with it, which is the point: the server sees the
connection close.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import httpcore
import httpx

_local = threading.local()
_TCP_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


@contextlib.contextmanager
def deadline_scope(deadline: float | None) -> Iterator[None]:
    """Hold every read and write made by this thread to `deadline` (time.monotonic) until the block ends."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = previous


def current_deadline() -> float | None:
    deadline: float | None = getattr(_local, "deadline", None)
    return deadline


class Cancel:
    """The cancellation handle of one request: the streams its thread used, and what else to wake."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: list[httpcore.NetworkStream] = []
        self._callbacks: list[Callable[[], None]] = []
        self.cancelled = False

    def _used(self, stream: httpcore.NetworkStream) -> None:
        with self._lock:
            if self.cancelled:
                raise httpcore.ReadError("the request was cancelled")
            if not self._streams or self._streams[-1] is not stream:
                self._streams.append(stream)

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Call `callback` when the request is cancelled (at once if it already was)."""
        with self._lock:
            if not self.cancelled:
                self._callbacks.append(callback)
                return
        callback()

    def cancel(self) -> None:
        """Close the request's connections (waking its thread wherever it blocks). Safe to call twice."""
        with self._lock:
            if self.cancelled:
                return
            self.cancelled = True
            streams, self._streams = self._streams, []
            callbacks, self._callbacks = self._callbacks, []
        for stream in streams:
            with contextlib.suppress(Exception):
                sock = stream.get_extra_info("socket")
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
        for callback in callbacks:
            with contextlib.suppress(Exception):
                callback()


@contextlib.contextmanager
def cancel_scope(handle: Cancel | None = None) -> Iterator[Cancel]:
    """Remember every stream this thread uses until the block ends, so `handle.cancel()` can close them."""
    handle = handle or Cancel()
    previous = getattr(_local, "cancel", None)
    _local.cancel = handle
    try:
        yield handle
    finally:
        _local.cancel = previous


def current_cancel() -> Cancel | None:
    """The cancellation handle of the request this thread serves, if any."""
    handle: Cancel | None = getattr(_local, "cancel", None)
    return handle


def _note_use(stream: httpcore.NetworkStream) -> None:
    handle: Cancel | None = getattr(_local, "cancel", None)
    if handle is not None:
        handle._used(stream)


def request_timeout(deadline: float | None, *, connect_s: float, write_s: float, read_s: float) -> httpx.Timeout:
    """httpx timeouts for one request: none longer than the time left, the pool wait included."""
    if deadline is None:
        return httpx.Timeout(connect=connect_s, read=read_s, write=write_s, pool=read_s)
    left = max(0.001, deadline - time.monotonic())
    return httpx.Timeout(connect=min(connect_s, left), read=min(read_s, left), write=min(write_s, left), pool=left)


def _bounded(timeout: float | None) -> float | None:
    deadline = current_deadline()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class BridgeStream(httpcore.NetworkStream):
    """A network stream held to its thread's deadline; re-arms TCP_QUICKACK after reads when asked to; refuses a
    request once the server closed it (see the module docstring)."""

    def __init__(self, inner: httpcore.NetworkStream, *, quickack: bool = False) -> None:
        self._inner = inner
        sock = inner.get_extra_info("socket") if quickack and _TCP_QUICKACK is not None else None
        self._quickack_sock: socket.socket | None = sock
        self.ended = False
        """The server closed its side: a read returned the end of the stream."""

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        _note_use(self)
        data = self._inner.read(max_bytes, _bounded(timeout))
        if not data and max_bytes:
            self.ended = True
        if self._quickack_sock is not None:
            with contextlib.suppress(OSError):
                self._quickack_sock.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK or 0, 1)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self.ended:
            raise httpcore.ConnectionNotAvailable("the server closed this connection; the request takes another")
        try:
            _note_use(self)
        except httpcore.ReadError as exc:
            raise httpcore.WriteError(str(exc)) from exc
        try:
            bounded = _bounded(timeout)
        except httpcore.ReadTimeout as exc:
            raise httpcore.WriteTimeout(str(exc)) from exc
        self._inner.write(buffer, bounded)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        # TLS wraps a new socket object; keep re-arming on the one underneath (same file descriptor).
        inner = self._inner.start_tls(ssl_context, server_hostname, timeout)
        return BridgeStream(inner, quickack=self._quickack_sock is not None)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class TrackingBackend(httpcore.NetworkBackend):
    """A backend that remembers the streams it opened, so `abort_all` can wake every thread blocked on one —
    including a thread still waiting for a response head, which has no response object to abort yet."""

    def __init__(self) -> None:
        self._streams: weakref.WeakSet[httpcore.NetworkStream] = weakref.WeakSet()
        self._lock = threading.Lock()

    def _opened(self, stream: httpcore.NetworkStream) -> httpcore.NetworkStream:
        with self._lock:
            self._streams.add(stream)
        return stream

    def abort_all(self) -> None:
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            with contextlib.suppress(Exception):
                sock = stream.get_extra_info("socket")
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class BridgeBackend(TrackingBackend):
    """TCP through httpcore's own backend, every stream a `BridgeStream` (quick ACKs on Linux)."""

    def __init__(self) -> None:
        super().__init__()
        self._tcp = httpcore.SyncBackend()

    def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return self._opened(BridgeStream(self._tcp.connect_tcp(*args, **kwargs), quickack=True))

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return self._opened(BridgeStream(self._tcp.connect_unix_socket(*args, **kwargs)))


def tcp_transport() -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    transport._pool._network_backend = BridgeBackend()
    return transport


def abort_connections(client: httpx.Client) -> None:
    """Shut every connection the client's transport opened (when it is one of ours), waking blocked threads."""
    backend = getattr(getattr(getattr(client, "_transport", None), "_pool", None), "_network_backend", None)
    if isinstance(backend, TrackingBackend):
        backend.abort_all()
