"""The legacy MCP transport (protocol 2024-11-05, "HTTP+SSE"), for servers that predate Streamable HTTP.

Owns one legacy session: a long-lived GET on the server URL whose first `endpoint` event names where to POST
(FACTS.md §B.13); every message the server sends, answers included, arrives as a `message` event on that GET
stream. `Proxy` switches to this when POST initialize answers 400, 404 or 405 and keeps it for the run.

A request's answer does not come back on its POST, so `request` registers the id, POSTs, and waits (bounded) for
the reader thread to see the answer go by; the reader writes every message to the client itself. If the stream
breaks, every waiting request is answered with an error at once (a legacy session cannot be resumed); the next
client request then fails fast with the same explanation. Reconnecting would need a fresh initialize replay and
is not done yet.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from plugboard.core.http_session import abort
from plugboard.core.sse import SSEParser

if TYPE_CHECKING:
    import httpx

# How long a worker waits for the reader thread to finish after close() shut its socket.
READER_JOIN_S = 3.0


class LegacySession:
    def __init__(
        self,
        url: str,
        client: httpx.Client,
        headers: dict[str, str],
        *,
        emit: Callable[[bytes], None],
        log: Callable[[str], None],
        host_header: str | None = None,
    ) -> None:
        self.url = url
        self.client = client
        self._headers = dict(headers)
        if host_header:
            self._headers["Host"] = host_header
        self._emit = emit
        self._log = log
        self._lock = threading.Lock()
        self._endpoint_seen = threading.Event()
        self.endpoint: str | None = None
        self._waiting: dict[str, threading.Event] = {}
        self._broken: str | None = None
        self._stop = threading.Event()
        self._response: Any = None
        self._reader: threading.Thread | None = None

    def connect(self, timeout: float) -> str | None:
        """Open the event stream and wait for the `endpoint` event; an explanation on failure."""
        import httpx

        headers = {**self._headers, "Accept": "text/event-stream"}
        try:
            response = self.client.send(self.client.build_request("GET", self.url, headers=headers), stream=True)
        except httpx.HTTPError as exc:
            return f"GET {self.url} failed ({type(exc).__name__})"
        ctype = response.headers.get("content-type", "")
        if response.status_code != 200 or not ctype.startswith("text/event-stream"):
            response.close()
            return f"GET {self.url} answered HTTP {response.status_code} {ctype or ''}".strip()
        self._response = response
        self._reader = threading.Thread(target=self._read, name="proxy-legacy-sse", daemon=True)
        self._reader.start()
        if not self._endpoint_seen.wait(timeout) or self.endpoint is None:
            return self._broken or "the server sent no `endpoint` event"
        self._log(f"legacy SSE transport: posting to {urlsplit(self.endpoint).path}")
        return None

    def _read(self) -> None:
        import httpx

        parser = SSEParser()
        why = "the server closed the event stream"
        try:
            for chunk in self._response.iter_bytes():
                for event in parser.feed(chunk):
                    if event.event == "endpoint":
                        self.endpoint = urljoin(self.url, event.data.strip())
                        self._endpoint_seen.set()
                    elif event.event == "message":
                        self._relay(event.data)
        except (httpx.HTTPError, httpx.StreamError) as exc:
            why = f"the event stream broke ({type(exc).__name__})"
        with self._lock:
            self._broken = why
            waiting = list(self._waiting.values())
        if not self._stop.is_set():
            self._log(f"legacy SSE transport: {why}")
        self._endpoint_seen.set()
        for waiter in waiting:
            waiter.set()

    def _relay(self, data: str) -> None:
        raw = data.encode("utf-8")
        with contextlib.suppress(ValueError):
            msg = json.loads(raw)
            if isinstance(msg, dict) and "id" in msg and "method" not in msg:
                key = json.dumps(msg["id"], separators=(",", ":"))
                with self._lock:
                    waiter = self._waiting.pop(key, None)
                self._emit(raw)
                if waiter is not None:
                    waiter.set()
                return
        self._emit(raw)

    def post(self, raw: bytes) -> str | None:
        import httpx

        if self.endpoint is None:
            return "no legacy endpoint"
        headers = {**self._headers, "Content-Type": "application/json"}
        try:
            response = self.client.post(self.endpoint, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            return f"POST to the legacy endpoint failed ({type(exc).__name__})"
        if response.status_code >= 400:
            return f"the legacy endpoint answered HTTP {response.status_code}"
        return None

    def request(self, raw: bytes, key: str, timeout: float) -> str | None:
        done = threading.Event()
        with self._lock:
            if self._broken:
                return f"{self._broken}; restart the connector (legacy servers cannot resume a session)"
            self._waiting[key] = done
        problem = self.post(raw)
        answered = problem is None and done.wait(timeout)
        with self._lock:
            # The reader pops the key before it wakes us for an answer; a broken stream wakes us without popping.
            still_waiting = self._waiting.pop(key, None) is not None
            broken = self._broken
        if answered and not still_waiting:
            return None
        return problem or broken or f"the remote MCP server did not answer within {timeout:g} s"

    def close(self) -> None:
        self._stop.set()
        if self._response is not None:
            abort(self._response)
        if self._reader is not None:
            self._reader.join(READER_JOIN_S)
