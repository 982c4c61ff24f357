"""The proxy's one-way messages (notifications, responses to server requests), sent in order on a thread of their own.

Why a thread (issue 16): the stdin reader used to POST these itself, so a server that answered a notification
slowly — or with an SSE stream that never ends — stopped the reader: later requests were never read, and the proxy
did not notice stdin closing. Now the reader only queues them; `Outbox` sends them one after another, in the
order the client wrote them.

Order still holds across kinds: a request waits (`wait_sent`) until every one-way message the client wrote before
it has been sent — so `notifications/initialized` reaches the server before the next request, as the protocol
requires — and only then is POSTed. "Sent" means the server's response head arrived (or sending failed); reading
a body the server attaches is the sender's business, off this thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable

Send = Callable[[bytes, "str | None"], None]

# After close(), the sender finishes the message it is sending (its sockets were shut, so that is immediate).
CLOSE_JOIN_S = 3.0


class Outbox:
    def __init__(self, send: Send, name: str) -> None:
        self._send = send
        self._name = name
        self._cond = threading.Condition()
        self._queue: deque[tuple[int, bytes, str | None]] = deque()
        self._queued = 0
        self._sent = 0
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def queued(self) -> int:
        """How many messages were queued so far: what a request about to be sent must wait for."""
        with self._cond:
            return self._queued

    def put(self, raw: bytes, method: str | None) -> None:
        with self._cond:
            if self._closed:
                return
            self._queued += 1
            self._queue.append((self._queued, raw, method))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"proxy-{self._name}-outbox", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait_sent(self, count: int, timeout: float) -> bool:
        """Block until the first `count` messages were sent (True), or `timeout` passed or the outbox closed."""
        with self._cond:
            return self._cond.wait_for(lambda: self._sent >= count or self._closed, timeout) and self._sent >= count

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if self._closed:
                    return
                number, raw, method = self._queue.popleft()
            with contextlib.suppress(Exception):  # `send` logs its own failures; one bad message must not stop us
                self._send(raw, method)
            with self._cond:
                self._sent = number
                self._cond.notify_all()

    def close(self) -> None:
        """Stop sending; messages not yet sent are dropped (the client is gone). Bounded, safe to call twice."""
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(CLOSE_JOIN_S)
