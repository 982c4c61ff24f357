"""The local end of a tunnel: one 127.0.0.1 listener that outlives reconnects, and the pumps per connection.

The listener is bound once, when the tunnel starts, and kept until the tunnel stops: a client that lost its
connection during a reconnect only has to connect again to the same port (issue 5). While the SSH side is
down, a new connection is accepted and closed at once, so clients fail fast instead of hanging.

Each accepted connection gets one SSH `direct-tcpip` channel (opened on a pump thread, so a slow open never delays
other clients) and two pump loops, one per direction, each a blocking read → write loop: simpler and faster in
CPython than one select loop (each blocking call releases the GIL), and a half-close (EOF one way) is passed on as a
half-close. Every socket gets TCP_NODELAY. `close()` closes channels before sockets and waits for every loop with a
deadline (FACTS.md §C.9); nothing is left to garbage collection. Closing a channel whose SSH connection just died can
raise (paramiko sends the close message on a dead transport: EOFError, about 1 in 8 killed sessions, issue 16); that
is swallowed, and the client socket is closed whatever happened. `Forwarder.traffic()` counts the bytes carried each
way (the app's traffic counters): plain per-connection integers, each written by one pump loop, so the hot loop
takes no lock.

Pump loops run on pooled threads (`_Workers`) rather than two new threads per connection. An MCP client such as the
SDK's opens a new connection for every request whose answer is an SSE stream, so what a connection costs is paid on
every call: starting a thread costs ~65 µs here plus a GIL hand-off with the thread that starts it, twice per
connection, and an idle pooled thread takes a loop in ~5 µs. Measured with tests/benchmarks/bench_proxy.py (SDK
client through `tunnel up`, same run): the tunnel process's CPU per call 1.07 → 0.80 ms, which on a shared 2-core
machine is time taken from the client and the server (issue 16; the 40 ms stall that dominated that path was the
SSH socket's delayed ACK, fixed in `sockets.QuickAckSocket`).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import queue
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
# How often the accept loop looks at its stop flag; accept() itself is woken by closing the listener, this only
# bounds the wait on platforms where closing does not interrupt a blocked accept().
ACCEPT_POLL_S = 0.5
# A pump loop finishes within this once its channel and socket are closed (both wake a blocked read at once).
PUMP_JOIN_S = 2.0
# An idle pooled pump thread waits this long for its next loop, then ends: a client making calls seconds apart
# keeps its threads, an idle tunnel holds none for long.
WORKER_IDLE_S = 30.0

OpenChannel = Callable[[tuple[str, int]], paramiko.Channel | None]
# A read that returns at once when nothing is waiting (Linux, macOS); Windows has no such flag, and the first read
# there simply waits in the pump loop.
_DONTWAIT: int = getattr(socket, "MSG_DONTWAIT", 0)


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


class _Workers:
    """Threads that run pump loops and are kept, once a loop ends, for the next one.

    Each thread waits for its next loop on its own queue (the last one to finish is the first reused: its stack is
    warm); after `WORKER_IDLE_S` without one it ends. `close()` stops handing out loops, wakes the idle threads so
    they end, and joins every thread with a deadline; a loop still running must have been ended by its owner first
    (the forwarder closes every connection before).
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[Callable[[], None] | None]] = []
        self._threads: set[threading.Thread] = set()
        self._started = 0
        self._closed = False

    def run(self, task: Callable[[], None]) -> bool:
        """Run `task` on an idle thread, or a new one; False once closed or out of threads (`task` does not run)."""
        with self._lock:
            if self._closed:
                return False
            if self._idle:
                self._idle.pop().put(task)
                return True
            self._started += 1
            thread = threading.Thread(
                target=self._work, args=(task,), name=f"plugboard-pump-{self._name}-{self._started}", daemon=True
            )
            # Started under the lock so `close()` never sees a thread it cannot join yet; the new thread needs the
            # lock only after its first loop.
            try:
                thread.start()
            except RuntimeError:
                log.warning("cannot start a tunnel pump thread (the system is out of threads); connection refused")
                return False
            self._threads.add(thread)
        return True

    def _work(self, task: Callable[[], None] | None) -> None:
        inbox: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        try:
            while task is not None:
                try:
                    task()
                except Exception:
                    log.exception("a tunnel pump loop failed")
                task = self._next(inbox)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _next(self, inbox: queue.SimpleQueue[Callable[[], None] | None]) -> Callable[[], None] | None:
        with self._lock:
            if self._closed:
                return None
            self._idle.append(inbox)
        try:
            return inbox.get(timeout=WORKER_IDLE_S)
        except queue.Empty:
            with self._lock:
                if inbox in self._idle:
                    self._idle.remove(inbox)
                    return None
            return inbox.get()  # handed a loop just as the wait ended: it is already on its way

    @property
    def threads(self) -> int:
        with self._lock:
            return len(self._threads)

    def close(self, deadline: float) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            threads = list(self._threads)
        for inbox in idle:
            inbox.put(None)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout=max(0.0, deadline - time.monotonic()))


class _Pipe:
    """One client connection and its channel. The first loop opens the channel (so a slow open never holds up the
    accept loop) and pumps client → server; a second loop pumps server → client."""

    def __init__(
        self,
        client: socket.socket,
        peer: tuple[str, int],
        open_channel: OpenChannel,
        workers: _Workers,
        on_done: Callable[[_Pipe], None],
    ) -> None:
        self.client = client
        self.peer = peer
        self.channel: paramiko.Channel | None = None
        self._open_channel = open_channel
        self._workers = workers
        self._on_done = on_done
        self._lock = threading.Lock()
        self._finished = 0
        self._expected = 1
        self._closed = False
        self._done = threading.Event()
        # Bytes carried each way; each is written by its own pump loop only, so no lock is needed.
        self.sent = 0
        self.received = 0

    def start(self) -> None:
        if not self._workers.run(self._up):
            self._one_done()  # closing, or out of threads: nothing runs, the client is closed

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
            data = self._waiting()
            if data:
                channel.sendall(data)
                self.sent += len(data)
            if not self._workers.run(self._down):
                self.close()
                self._one_done()  # the down loop never runs: count it here
                return
            while data != b"":
                data = self.client.recv(PUMP_CHUNK)
                if data:
                    channel.sendall(data)
                    self.sent += len(data)
            channel.shutdown_write()
        except (OSError, EOFError, paramiko.SSHException):
            self.close()
        finally:
            self._one_done()

    def _waiting(self) -> bytes | None:
        """What the client sent while its channel was opening, without waiting: None if nothing, b"" at EOF.

        Sent before the down loop's thread is woken: woken first, that thread competes for the GIL with this send,
        on the request's path (an MCP client's request is usually waiting by the time the channel opens). The
        answer cannot come before the request has left; a server that speaks first gets its down loop at once,
        as nothing is waiting then."""
        if not _DONTWAIT:
            return None
        try:
            return self.client.recv(PUMP_CHUNK, _DONTWAIT)
        except BlockingIOError:
            return None

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
            self._done.set()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            channel = self.channel
        # Channel first (FACTS.md §C.9), then the socket; both wake the loop blocked on them. The channel's close
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
        """Wait until both loops have returned (bounded)."""
        self._done.wait(timeout=max(0.0, deadline - time.monotonic()))


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
        self._carried = [0, 0]  # bytes (sent, received) by connections that have finished
        self._workers = _Workers(name)
        self.port: int = listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name=f"plugboard-accept-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def active_connections(self) -> int:
        with self._lock:
            return len(self._pipes)

    @property
    def pump_threads(self) -> int:
        """Pump threads alive now (running a loop or waiting for the next one)."""
        return self._workers.threads

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break  # the listener was closed: we are stopping
            self._serve(client, peer)

    def _serve(self, client: socket.socket, peer: tuple[str, int]) -> None:
        try:
            client.settimeout(None)
            set_nodelay(client)
        except OSError:
            client.close()
            return
        pipe = _Pipe(client, peer, self._open_channel, self._workers, self._finished)
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
            self._carried[0] += pipe.sent
            self._carried[1] += pipe.received

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
        self._workers.close(time.monotonic() + PUMP_JOIN_S)
