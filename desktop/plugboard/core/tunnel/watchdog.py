"""Liveness of an SSH connection, checked by replies rather than by sending (FACTS.md §C.3).

paramiko's `set_keepalive` only sends; a frozen server (its sshd session stopped, or a NAT that silently
dropped the flow) keeps the TCP connection "established" and paramiko never notices — measured: still active
after 90 s. So the watchdog sends `keepalive@openssh.com` as a global request that wants a reply (OpenSSH
answers every unknown global request with REQUEST_FAILURE, which proves it is alive just as well) and records
when the last reply came.

`global_request(wait=True)` has no deadline of its own; it returns only on a reply or when the transport
closes. So the deadline is enforced from outside: the tunnel's supervisor asks `expired()` and, when it says
so, closes the transport, which makes the blocked probe return. One thread per connection, joined with a
timeout on `stop()`.
"""

from __future__ import annotations

import threading
import time

import paramiko

KEEPALIVE_REQUEST = "keepalive@openssh.com"
# After the transport closes, a blocked probe returns within paramiko's 0.1 s poll; this leaves room for a
# busy CPU.
WATCHDOG_JOIN_S = 2.0


class Watchdog:
    """Probes every `interval_s`; `expired()` once no reply came for `interval_s * count` seconds."""

    def __init__(self, transport: paramiko.Transport, interval_s: float, count: int, name: str) -> None:
        self._transport = transport
        self.interval_s = interval_s
        self.count = count
        self._stop = threading.Event()
        self._last_reply = time.monotonic()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"plugboard-watchdog-{name}", daemon=True)

    @property
    def deadline_s(self) -> float:
        return self.interval_s * self.count

    def start(self) -> None:
        self._thread.start()

    def silence_s(self) -> float:
        """Seconds since the last reply (or since the watchdog started)."""
        with self._lock:
            return time.monotonic() - self._last_reply

    def expired(self) -> bool:
        return self.silence_s() > self.deadline_s

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            if not self._transport.is_active():
                return
            try:
                self._transport.global_request(KEEPALIVE_REQUEST, wait=True)
            except (OSError, EOFError, paramiko.SSHException):
                return
            if self._stop.is_set() or not self._transport.is_active():
                return
            with self._lock:
                self._last_reply = time.monotonic()

    def stop(self) -> None:
        """Stop probing. Close the transport first if a probe may be blocked; bounded, safe to call twice."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=WATCHDOG_JOIN_S)
