"""The legacy MCP transport (protocol 2024-11-05, "HTTP+SSE"), for servers that predate Streamable HTTP.

Owns one legacy session: a long-lived GET on the server URL whose first `endpoint` event names where to POST
(FACTS.md §B.13); every message the server sends, answers included, arrives as a `message` event on that GET
stream. `Proxy` switches to this when POST initialize answers 400, 404 or 405 and keeps it for the run.

A request's answer does not come back on its POST, so `request` registers the id, POSTs, and waits (bounded) for
the reader thread to see the answer go by; the reader hands every message that parses to `emit(payload, msg)`
(the proxy's, which writes each answer once) and drops what does not parse (an event cut short).

A legacy session lives and dies with its GET stream and cannot be resumed. When the stream breaks (server
restarted, network cut), requests waiting for an answer get an error at once; the reader reconnects with backoff,
jitter and a cap, and on the new stream replays the client's own initialize (with an id of ours, its answer
swallowed) and `notifications/initialized`, like the Streamable HTTP re-initialisation. A request that arrives
while this happens waits for it up to the connect window, then gets an error saying the server is unreachable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from plugboard.core.backoff import Backoff
from plugboard.core.bridge import sse
from plugboard.core.bridge.http_session import abort, content_type
from plugboard.core.bridge.jsonrpc import answer_key, parse
from plugboard.core.bridge.url import display_url

if TYPE_CHECKING:
    import httpx

# How long close() waits for the reader and replay threads after it shut their sockets.
READER_JOIN_S = 3.0
# A replayed initialize is answered in milliseconds by a live server; past this the new session is given up on
# and the reader reconnects again.
REPLAY_ANSWER_S = 10.0

Replay = Callable[[], "tuple[bytes, str, bytes] | None"]


class LegacySession:
    def __init__(
        self,
        url: str,
        client: httpx.Client,
        headers: dict[str, str],
        *,
        emit: Callable[[bytes, Any], None],
        log: Callable[[str], None],
        host_header: str | None = None,
        replay: Replay | None = None,
        backoff: Backoff | None = None,
        connect_window_s: float = 5.0,
    ) -> None:
        self.url = url
        self._replay_source = replay
        self.backoff = backoff or Backoff(first_s=0.25, cap_s=15.0, jitter=0.5)
        self.connect_window_s = connect_window_s
        self._ready = threading.Event()
        self._swallow: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._generation = 0  # bumped whenever the stream breaks, so a failed POST can wait for the next session
        self.client = client
        self._headers = dict(headers)
        if host_header:
            self._headers["Host"] = host_header
        self._emit = emit
        self._log = log
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.endpoint: str | None = None
        self._waiting: dict[str, threading.Event] = {}
        self._broken: str | None = None
        self._stop = threading.Event()
        self._response: Any = None
        self._reader: threading.Thread | None = None

    def connect(self, timeout: float) -> str | None:
        """Open the event stream and wait for the `endpoint` event; an explanation on failure."""
        opened = self._open()
        if isinstance(opened, str):
            return opened
        self._reader = threading.Thread(target=self._run, args=(opened,), name="proxy-legacy-sse", daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout) or self.endpoint is None:
            return self._broken or "the server sent no `endpoint` event"
        self._log(f"legacy SSE transport: posting to {urlsplit(self.endpoint).path}")
        return None

    def _open(self) -> Any:
        """The open event stream, or why not."""
        import httpx

        headers = {**self._headers, "Accept": "text/event-stream"}
        try:
            response = self.client.send(self.client.build_request("GET", self.url, headers=headers), stream=True)
        except httpx.HTTPError as exc:
            return f"GET {display_url(self.url)} failed ({type(exc).__name__})"
        ctype = content_type(response)
        if response.status_code != 200 or ctype != "text/event-stream":
            response.close()
            return f"GET {display_url(self.url)} answered HTTP {response.status_code} {ctype}".strip()
        with self._lock:
            self._response = response
        if self._stop.is_set():
            abort(response)
        return response

    def _run(self, response: Any) -> None:
        """The reader thread: relay the stream; when it ends, fail the waiting requests and reconnect."""
        replay = False
        while True:
            why = self._read(response, replay)
            with self._lock:
                self._broken = why
                self._ready.clear()
                self.endpoint = None
                waiting = list(self._waiting.values())
                self._generation += 1
                self._changed.notify_all()
            for waiter in waiting:
                waiter.set()
            if self._stop.is_set():
                self._ready.set()  # wake a connect() still waiting
                return
            self._log(f"legacy SSE transport: {why}; reconnecting")
            attempt = 0
            while True:
                attempt += 1
                if self._stop.wait(self.backoff.delay(attempt)):
                    self._ready.set()
                    return
                opened = self._open()
                if not isinstance(opened, str):
                    response, replay = opened, True
                    break

    def _read(self, response: Any, replay: bool) -> str:
        import httpx

        why = "the server closed the event stream"
        try:
            for event in sse.events(response.iter_bytes()):
                if event.event == "endpoint":
                    self.endpoint = urljoin(self.url, event.data.strip())
                    if replay:
                        self._start(self._replay)
                    else:
                        with self._lock:
                            self._broken = None
                        self._ready.set()
                elif event.event == "message":
                    self._relay(event.payload)
        except (httpx.HTTPError, httpx.StreamError) as exc:
            why = f"the event stream broke ({type(exc).__name__})"
        finally:
            response.close()
        return why

    def _start(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name="proxy-legacy-replay", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _replay(self) -> None:
        """On a new stream: the client's initialize and initialized again, before any request goes through."""
        source = self._replay_source() if self._replay_source else None
        if source is not None:
            initialize, key, initialized = source
            done = threading.Event()
            with self._lock:
                self._waiting[key] = done
                self._swallow.add(key)
            problem = self.post(initialize)
            if problem is not None or not done.wait(REPLAY_ANSWER_S):
                with self._lock:
                    self._waiting.pop(key, None)
                    self._swallow.discard(key)
                self._log(f"legacy SSE transport: the new session was not accepted ({problem or 'no answer'})")
                return
            self.post(initialized)
            self._log("legacy SSE transport: re-initialized on a new stream")
        with self._lock:
            self._broken = None
        self._ready.set()

    def _relay(self, payload: bytes) -> None:
        msg = parse(payload)
        if msg is None:
            self._log("legacy SSE transport: dropped a server message that is not valid JSON (cut short?)")
            return
        key = answer_key(msg)
        if key is None:
            self._emit(payload, msg)
            return
        with self._lock:
            waiter = self._waiting.pop(key, None)
            swallowed = key in self._swallow
            self._swallow.discard(key)
        if not swallowed:
            self._emit(payload, msg)
        if waiter is not None:
            waiter.set()

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
        problem = None
        for _attempt in range(2):
            if not self._ready.wait(min(timeout, self.connect_window_s)) or self._stop.is_set():
                with self._lock:
                    broken = self._broken
                return f"the remote MCP server is unreachable ({broken or 'no session'}); retrying in the background"
            with self._lock:
                generation = self._generation
                done = threading.Event()
                self._waiting[key] = done
            problem = self.post(raw)
            answered = problem is None and done.wait(timeout)
            with self._lock:
                # The reader pops the key before it wakes us for an answer; a broken stream wakes us without it.
                still_waiting = self._waiting.pop(key, None) is not None
                broken = self._broken
            if answered and not still_waiting:
                return None
            if problem is None:
                return broken or f"the remote MCP server did not answer within {timeout:g} s"
            # The POST failed: if the server restarted, the reader is about to see its stream end and open a
            # new session. Wait (bounded) for that, then send once more to the new session.
            if not self._wait_for_new_stream(generation):
                break
        return problem

    def _wait_for_new_stream(self, seen: int) -> bool:
        with self._changed:
            return self._changed.wait_for(
                lambda: self._generation != seen or self._stop.is_set(), self.connect_window_s
            )

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._changed.notify_all()
            response = self._response
            threads = [*self._threads, *([self._reader] if self._reader else [])]
        if response is not None:
            abort(response)
        for thread in threads:
            thread.join(READER_JOIN_S)
