"""Sockets for tunnels: TCP_NODELAY everywhere, and the TCP_QUICKACK wrapper for the SSH connection.

Why a wrapper (FACTS.md §C.4): sshd treats a forward-only connection as non-interactive and leaves Nagle on,
so it holds the second segment of a reply until we ACK the first, and Linux delays that ACK by ~40 ms. An HTTP
request through such a forward measured 47.9 ms p50 against 3.9 ms direct. `paramiko.Transport` accepts any
socket-like object, so the wrapper is handed to it as `sock=`.

When to re-arm, and why each rule (Linux): TCP_QUICKACK does not stick. Sending data within the delayed-ACK timeout
of a receive puts the socket back into "pingpong" (interactive) mode, where the ACK of the next arriving segment is
delayed even after we read it; re-arming leaves that mode, so the ACK goes as soon as the segment is read.
- After every send: a request just went out, so the reply's first segment is next, and sshd's Nagle waits for its
  ACK before sending the rest. Re-arming only on reads missed this: paramiko reads a packet in exact-size pieces (a
  16-byte header, then the rest), so no read is short, and within 1 ms of the last re-arm none was made — issue 16
  measured the 40 ms stall on 1 call in 4 through `tunnel up` (an SSE answer's head, then its event).
- After a short read (the end of what arrived), and at most every `REARM_EVERY_S` during a run of full reads (a bulk
  transfer, where a system call per read cost ~20 % of throughput and the kernel ACKs every second full segment
  anyway).

On macOS and Windows there is no TCP_QUICKACK; `QuickAckSocket` then only forwards calls (measured there: not
yet).
"""

from __future__ import annotations

import socket
import time
from typing import Any

# Even during a long run of full reads, re-arm this often: Linux leaves quick-ACK mode by itself after a while.
REARM_EVERY_S = 0.001
# Linux value of TCP_QUICKACK; Python exposes it as socket.TCP_QUICKACK only on Linux builds.
_TCP_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


def set_nodelay(sock: socket.socket) -> None:
    """Turn Nagle off: tunnel traffic is request/response, and small writes must leave at once."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def quickack_supported() -> bool:
    return _TCP_QUICKACK is not None


class QuickAckSocket:
    """A socket that re-arms TCP_QUICKACK after each send and after receives (see the module docstring); every other
    call goes to the wrapped socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._quickack = _TCP_QUICKACK
        self._arm()

    def _arm(self) -> None:
        self._armed_at = time.monotonic()
        if self._quickack is None:
            return
        try:
            self._sock.setsockopt(socket.IPPROTO_TCP, self._quickack, 1)
        except OSError:
            # A closed socket: the next recv reports the real error.
            self._quickack = None

    def recv(self, size: int, flags: int = 0) -> bytes:
        data = self._sock.recv(size, flags)
        # A full read means more is already queued (a bulk transfer): the ACK for it leaves with the next read's
        # re-arm anyway, and skipping the system call there was worth ~20 % of bulk throughput. A short read is the
        # end of what arrived, where a delayed ACK would stall sshd's Nagle.
        if len(data) < size or time.monotonic() - self._armed_at > REARM_EVERY_S:
            self._arm()
        return data

    def send(self, data: Any, flags: int = 0) -> int:
        # paramiko writes each packet with send(); the reply to what just left must be ACKed at once.
        sent = self._sock.send(data, flags)
        self._arm()
        return sent

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._sock.sendall(data, flags)
        self._arm()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def connect_tcp(host: str, port: int, timeout: float) -> socket.socket:
    """Open a TCP connection with a bounded connect, Nagle off. Raises OSError (incl. TimeoutError)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        set_nodelay(sock)
    except OSError:
        sock.close()
        raise
    return sock
