"""The local end of a tunnel: one 127.0.0.1 listener that outlives reconnects, and the pumps per connection.

The listener is bound once, when the tunnel starts, and kept until the tunnel stops: a client that lost its
connection during a reconnect only has to connect again to the same port (issue 5). While the SSH side is
down, a new connection is accepted and closed at once, so clients fail fast instead of hanging.

Each accepted connection gets one SSH `direct-tcpip` channel (opened on the connection's own thread, so a slow
open never delays other clients) and two threads, one per direction, each a blocking read → write loop:
simpler and faster in CPython than one select loop (each blocking call releases the GIL), and a half-close
(EOF one way) is passed on as a half-close. Every socket gets TCP_NODELAY. `close()` closes channels before
sockets and joins every thread with a deadline (FACTS.md §C.9); nothing is left to garbage collection. Closing a
channel whose SSH connection just died can raise (paramiko sends the close message on a dead transport: EOFError,
about 1 in 8 killed sessions, issue 16); that is swallowed, and the client socket is closed whatever happened.
`Forwarder.traffic()` counts the bytes carried each way (the app's traffic counters): plain per-connection
integers, each written by one pump thread, so the hot loop takes no lock.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import threading
import time
from collections.abc import Callable

import paramiko

from plugboard.core.errors import PlugboardError
from plugboard.core.tunnel.sockets import set_nodelay

log = logging.getLogger(__name__)

LOCALHOST = "127.0.0.1"
# Large enough that a burst of clients (an MCP bridge opening a few HTTP connections at once) is never
# refused.
LISTEN_BACKLOG = 64
# Read size per pump step: two SSH packets' worth (`session.MAX_PACKET_SIZE`), so one read usually fills a whole
# channel packet.
PUMP_CHUNK = 262144
# How often the accept loop looks at its stop flag; accept() itself is woken by closing the listener, this
# only bounds the wait on platforms where closing does not interrupt a blocked accept().
ACCEPT_POLL_S = 0.5
# A pump thread finishes within this once its channel and socket are closed (both wake a blocked read at
# once).
PUMP_JOIN_S = 2.0

OpenChannel = Callable[[tuple[str, int]], paramiko.Channel | None]


class PortInUseError(PlugboardError):
    def __init__(self, port: int) -> None:
        self.port = port
        super().__init__(f"local port {port} is already in use by another program; stop it or pick another local port")


def bind_listener(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:`port` (0 = a free port chosen by the OS)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # SO_REUSEADDR lets us rebind over TIME_WAIT leftovers of our own earlier run; it never lets two live
        # listeners share the port on Linux/macOS. Windows' meaning differs (it would allow stealing), so skip
        # there.
        if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOCALHOST, port))
        sock.listen(LISTEN_BACKLOG)
        sock.settimeout(ACCEPT_POLL_S)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES) or getattr(exc, "winerror", None) == 10048:
            raise PortInUseError(port) from exc
        raise PlugboardError(f"cannot listen on {LOCALHOST}:{port}: {exc.strerror or exc}") from exc
    return sock


class _Pipe:
    """One client connection and its channel. The first thread opens the channel (so a slow open never holds up
    the accept loop) and pumps client → server; a second thread pumps server → client."""

    def __init__(
        self,
        client: socket.socket,
        peer: tuple[str, int],
        open_channel: OpenChannel,
        on_done: Callable[[_Pipe], None],
    ) -> None:
        self.client = client
        self.peer = peer
        self.channel: paramiko.Channel | None = None
        self._open_channel = open_channel
        self._on_done = on_done
        self._lock = threading.Lock()
        self._finished = 0
        self._expected = 1
        self._closed = False
        # Bytes carried each way; each is written by its own pump thread only, so no lock is needed.
        self.sent = 0
        self.received = 0
        self._up_thread = threading.Thread(target=self._up, name=f"plugboard-pump-up-{peer[1]}", daemon=True)
        self._down_thread = threading.Thread(target=self._down, name=f"plugboard-pump-down-{peer[1]}", daemon=True)

    def start(self) -> None:
        self._up_thread.start()

    def _connect(self) -> paramiko.Channel | None:
        try:
            channel = self._open_channel(self.peer)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            log.info("forward from %s:%s refused: %s", self.peer[0], self.peer[1], exc)
            return None
        if channel is None:
            return None
        with self._lock:
            if not self._closed:
                self.channel = channel
                self._expected = 2
                return channel
        with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
            channel.close()  # closed while the channel was opening
        return None

    def _up(self) -> None:
        try:
            channel = self._connect()
            if channel is None:
                self.close()
                return
            self._down_thread.start()
            while True:
                data = self.client.recv(PUMP_CHUNK)
                if not data:
                    channel.shutdown_write()
                    break
                channel.sendall(data)
                self.sent += len(data)
        except (OSError, EOFError, paramiko.SSHException):
            self.close()
        finally:
            self._one_done()

    def _down(self) -> None:
        channel = self.channel
        assert channel is not None
        try:
            while True:
                data = channel.recv(PUMP_CHUNK)
                if not data:
                    with contextlib.suppress(OSError):
                        self.client.shutdown(socket.SHUT_WR)
                    break
                self.client.sendall(data)
                self.received += len(data)
        except (OSError, EOFError, paramiko.SSHException):
            self.close()
        finally:
            self._one_done()

    def _one_done(self) -> None:
        with self._lock:
            self._finished += 1
            last = self._finished == self._expected
        if last:
            self.close()
            self._on_done(self)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            channel = self.channel
        # Channel first (FACTS.md §C.9), then the socket; both wake the thread blocked on them. The channel's close
        # talks to a transport that may be dead already; whatever it raises, the client socket is closed.
        try:
            if channel is not None:
                with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
                    channel.close()
        finally:
            with contextlib.suppress(OSError):
                self.client.shutdown(socket.SHUT_RDWR)
            self.client.close()

    def join(self, deadline: float) -> None:
        for thread in (self._up_thread, self._down_thread):
            if thread.ident is not None and thread is not threading.current_thread():
                thread.join(timeout=max(0.0, deadline - time.monotonic()))


class Forwarder:
    """Accepts on the listener and pipes each connection through a channel from `open_channel`.

    `open_channel(peer)` returns an open channel, or None while the tunnel is down (the client is closed).
    """

    def __init__(self, listener: socket.socket, open_channel: OpenChannel, name: str) -> None:
        self._listener = listener
        self._open_channel = open_channel
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pipes: set[_Pipe] = set()
        self._done: list[_Pipe] = []
        self._carried = [0, 0]  # bytes (sent, received) by connections that have finished
        self.port: int = listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name=f"plugboard-accept-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def active_connections(self) -> int:
        with self._lock:
            return len(self._pipes)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, peer = self._listener.accept()
            except TimeoutError:
                self._reap()
                continue
            except OSError:
                break  # the listener was closed: we are stopping
            self._reap()
            self._serve(client, peer)

    def _serve(self, client: socket.socket, peer: tuple[str, int]) -> None:
        try:
            client.settimeout(None)
            set_nodelay(client)
        except OSError:
            client.close()
            return
        pipe = _Pipe(client, peer, self._open_channel, self._finished)
        with self._lock:
            if self._stop.is_set():
                client.close()
                return
            self._pipes.add(pipe)
        pipe.start()

    def traffic(self) -> tuple[int, int]:
        """Bytes (sent to the remote, received from it) over this forwarder's life, open connections included."""
        with self._lock:
            pipes = list(self._pipes)
            sent, received = self._carried
        return sent + sum(p.sent for p in pipes), received + sum(p.received for p in pipes)

    def _finished(self, pipe: _Pipe) -> None:
        with self._lock:
            self._pipes.discard(pipe)
            self._done.append(pipe)
            self._carried[0] += pipe.sent
            self._carried[1] += pipe.received

    def _reap(self) -> None:
        """Join the threads of finished pipes (they are already returning) so none outlives its connection."""
        with self._lock:
            done, self._done = self._done, []
        deadline = time.monotonic() + PUMP_JOIN_S
        for pipe in done:
            pipe.join(deadline)

    def drop_connections(self) -> None:
        """Close every open connection (the SSH side is gone; their channels are dead anyway)."""
        with self._lock:
            pipes = list(self._pipes)
        for pipe in pipes:
            pipe.close()
        deadline = time.monotonic() + PUMP_JOIN_S
        for pipe in pipes:
            pipe.join(deadline)

    def close(self) -> None:
        """Stop accepting, close every connection, release the port; bounded, safe to call twice."""
        self._stop.set()
        self._listener.close()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=ACCEPT_POLL_S + PUMP_JOIN_S)
        self.drop_connections()
        self._reap()
