"""The bridge's owner object: a stdio MCP server to Claude, a raw JSON-RPC relay to one remote MCP endpoint.

`Proxy` owns one upstream MCP session. Its state (`ProxyState`, DESIGN.md "Owners and state machines"):
`initializing` (until the client's `notifications/initialized` has reached the server, or for a 2026-07-28 server,
has reached us) → `ready` → `re-initializing` (the server forgot our session; handshake era only) → `ready` …;
`closed` is final. `close()` is bounded and safe to call twice.

The protocol era (`era`, FACTS.md §D): the client's first `initialize` decides it. Unless the per-URL cache says the
server is handshake-era, `server/discover` is asked first; a modern server is then spoken to in 2026-07-28
(`modern.ModernSession` answers the client's initialize and translates everything after), anything else gets the
client's own `initialize` — today's path. An `initialize` answered HTTP 400 with -32022 naming only modern
versions is a modern server (probed again if the cache was wrong), never a reason to try the legacy transport.

Why a raw relay and not an SDK client session upstream: a second session in the middle answers or drops what it
does not understand, which is how peer bridges lose server→client requests and notifications (FACTS.md §B.10). Here
every message from Claude is POSTed as it came (bytes untouched), and every message from the server is written to
stdout as it came once it parses. The proxy reads a message only for what the relay needs: a request's id, the
client's initialize (kept, to replay it), the negotiated version and the session id.

What this module owns, and what it hands to others:
- The client side: stdin lines in, stdout lines out, one writer at a time. Every request gets exactly one answer —
  the server's or a JSON-RPC error saying what failed and what to do — within `request_timeout_s`: a request is
  registered when read, and the first answer or error for its id "claims" it (`_claim`); anything later for that id
  is dropped. A request the client cancelled gets no made-up error.
- Threads, not asyncio: the caller's thread reads stdin and never touches the network. Each request gets its own
  short-lived thread, which runs `_exchange` (the layers in `exchange`: connect-retry → session recovery → reading
  the answer). One-way messages (notifications, responses to server requests) go through `outbox.Outbox`, in
  order, and a request waits for the ones written before it, so `notifications/initialized` reaches the server
  first. Whatever body a server attaches to a one-way message is read on a thread of its own (a server that answers
  a notification with an endless SSE stream must not stop the relay, issue 16). One listener thread holds the
  standalone GET stream: 405 means "none", never retried; a dropped stream reconnects with backoff, jitter and a cap
  (`backoff.Backoff`), so a dead server is not hammered (FACTS.md §B.15).
- Legacy servers (2024-11-05 HTTP+SSE): if POST initialize answers 400, 404 or 405 (`wants_legacy`) without a
  modern error in the body, `legacy_sse.LegacySession` takes over for the rest of the run.
- Cancellation: each request's thread runs in a `transport.cancel_scope`; for a request sent the 2026-07-28 way,
  the client's `notifications/cancelled` closes that request's connection (the revision's cancellation) instead of
  being POSTed.
- DELETE with the session id at close (a 2026-07-28 server has no session: nothing is sent).

Logging goes to a callback (the command sends it to stderr and the connector log); nothing written there carries a
header value: `log` redacts every configured secret value as a last guard, and the same guard runs over every error
message sent to the client. The address appears only as `url.display_url` (no user info, no query); the user info
and query of the configured URL are masked too, should a library's message quote the full URL.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from plugboard.core.backoff import Backoff
from plugboard.core.bridge.era import MODERN_VERSIONS, Era, EraCache
from plugboard.core.bridge.exchange import ANSWER_TAIL_S
from plugboard.core.bridge.explain import ERROR_BODY_BYTES, ERROR_DETAIL_CHARS, Explainer, Unanswered, error_detail
from plugboard.core.bridge.jsonrpc import (
    INVALID_REQUEST,
    PARSE_ERROR,
    answer_key,
    error_response,
    one_line,
    parse,
    request_key,
)
from plugboard.core.bridge.outbox import Outbox
from plugboard.core.bridge.url import url_secrets
from plugboard.core.errors import PlugboardError
from plugboard.core.listeners import Listeners
from plugboard.core.logs.redact import Redactor

if TYPE_CHECKING:
    import httpx

    from plugboard.core.bridge.exchange import AnswerReader, Call, ConnectRetry, HandshakeRecovery
    from plugboard.core.bridge.http_session import HttpSession
    from plugboard.core.bridge.legacy_sse import LegacySession
    from plugboard.core.bridge.modern import ModernSession
    from plugboard.core.bridge.signin import RelaySignIn
    from plugboard.core.bridge.transport import Cancel

__all__ = ["ERROR_DETAIL_CHARS", "Proxy", "ProxyState", "error_detail", "request_key"]

_log = logging.getLogger(__name__)


class ProxyState(StrEnum):
    INITIALIZING = "initializing"
    READY = "ready"
    REINITIALIZING = "re-initializing"
    CLOSED = "closed"


# Claude Desktop gives up on a tool call after a few minutes; answering a stuck request ourselves after 2 minutes
# tells the user why instead of leaving Claude spinning (issue 6: every request answered in bounded time).
DEFAULT_REQUEST_TIMEOUT_S = 120.0
# A restarting server or a tunnel that is reconnecting refuses connections for a few seconds; keep trying that long
# before answering "unreachable", so a blip does not fail the user's call.
CONNECT_RETRY_WINDOW_S = 5.0
# Closing: in-flight threads were woken by shutting their sockets, so they end in milliseconds; 3 s is a loaded
# machine, and Claude waits for us to exit.
CLOSE_JOIN_S = 3.0
# Upstream retries start fast (a restarted backend is usually back in a second) and never wait more than 15 s
# between tries, so the session recovers soon after the server does.
RETRY_BACKOFF = Backoff(first_s=0.25, cap_s=15.0, jitter=0.5, stable_after_s=60.0)
# POST initialize answered with one of these: the server predates Streamable HTTP (FACTS.md §B.13).
LEGACY_STATUSES = frozenset({400, 404, 405})

Writer = Callable[[bytes], None]
Logger = Callable[[str], None]


def wants_legacy(call: Call, status: int) -> bool:
    """Whether the answer to `call` says the server speaks only the legacy HTTP+SSE transport."""
    return call.initialize and status in LEGACY_STATUSES


@dataclass
class _Layers:
    """The upstream side, built on the first message (httpx is imported then, not at start)."""

    client: httpx.Client
    http: HttpSession
    upstream: ConnectRetry
    reader: AnswerReader
    recovery: HandshakeRecovery


class Proxy:
    """One relay between a stdio client and a remote MCP endpoint. See the module docstring."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        write: Writer,
        log: Logger | None = None,
        headers: dict[str, str] | None = None,
        secret_values: list[str] | None = None,
        transport: httpx.BaseTransport | None = None,
        request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
        connect_retry_window_s: float = CONNECT_RETRY_WINDOW_S,
        host_header: str | None = None,
        refusal: str | None = None,
        unreachable_hint: Callable[[], str | None] | None = None,
        upstream_ready: Callable[[float], bool] | None = None,
        backoff: Backoff = RETRY_BACKOFF,
        era_cache: EraCache | None = None,
        era_via: str | None = None,
        auth: RelaySignIn | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.request_timeout_s = request_timeout_s
        self.connect_retry_window_s = connect_retry_window_s
        self.backoff = backoff
        self._write = write
        self._log = log
        self._redactor = Redactor([*(secret_values or []), *url_secrets(url)])
        self._refusal = refusal
        self._upstream_ready = upstream_ready
        self._transport = transport
        self._headers = dict(headers or {})
        self._host_header = host_header
        self.auth = auth
        self.explain = Explainer(
            name,
            url,
            timeout_s=request_timeout_s,
            configured_auth=bool(headers),
            hint=unreachable_hint,
            oauth=auth is not None,
        )
        self._layers: _Layers | None = None
        self._eras = era_cache or EraCache()
        self._era_via = era_via  # the SSH tunnel profile the URL is reached through: part of the era cache's key
        self._era: Era | None = None
        self._era_pending = False  # the client's initialize is deciding the era
        self._era_known = threading.Event()
        self._modern: ModernSession | None = None
        self._probed = False  # server/discover was asked this run
        self._legacy: LegacySession | None = None
        self._legacy_lock = threading.Lock()
        self._outbox = Outbox(self._send_one_way, name)

        self._lock = threading.Lock()
        self._out_lock = threading.Lock()
        self._state = ProxyState.INITIALIZING
        self._listeners: Listeners[[ProxyState]] = Listeners(f"proxy {name}", _log)
        self._stop = threading.Event()
        self._closed = False
        self._workers: set[threading.Thread] = set()
        self._responses: set[Any] = set()
        self._waiting: set[str] = set()  # requests read from the client and not answered yet
        self._cancelled: set[str] = set()
        self._inflight: dict[str, Cancel] = {}  # requests being answered, to close their streams on cancellation
        self._modern_requests: set[str] = set()  # ... of which sent in the 2026-07-28 way
        self._listener: threading.Thread | None = None

    # -- state and events ------------------------------------------------------------------------------------

    @property
    def state(self) -> ProxyState:
        with self._lock:
            return self._state

    @property
    def era(self) -> Era | None:
        """The server's protocol era, once the client's initialize decided it."""
        return self._era

    @property
    def reinitializations(self) -> int:
        return self._layers.recovery.reinitializations if self._layers is not None else 0

    def subscribe(self, callback: Callable[[ProxyState], None]) -> Callable[[], None]:
        """Call `callback(state)` on every state change (from a proxy thread); returns the unsubscribe function."""
        return self._listeners.subscribe(callback)

    def _set_state(self, state: ProxyState) -> None:
        with self._lock:
            if self._state in (state, ProxyState.CLOSED):
                return
            self._state = state
        self._listeners.emit(state)

    def log(self, text: str) -> None:
        if self._log is not None:
            self._log(self._redact(text))

    def _redact(self, text: str) -> str:
        text = self._redactor.redact(text)
        if self.auth is not None:  # the sign-in's tokens change as they are renewed
            text = Redactor(self.auth.secret_values()).redact(text)
        return text

    # -- the client side ---------------------------------------------------------------------------------------

    def run(self, stdin: Any) -> None:
        """Relay until the client closes stdin (a binary file object), then close."""
        try:
            for line in iter(stdin.readline, b""):
                self.handle_line(line)
        finally:
            self.close()

    def handle_line(self, line: bytes) -> None:
        """One newline-delimited message from the client. Never blocks on the network."""
        line = line.strip()
        if not line:
            return
        try:
            msg = json.loads(line)
        except ValueError:
            self._emit(error_response(None, "the message is not valid JSON", PARSE_ERROR))
            return
        if isinstance(msg, list):  # a batch from an older client: relay its members one by one
            for item in msg:
                self._dispatch(json.dumps(item, separators=(",", ":")).encode(), item)
            return
        self._dispatch(line, msg)

    def _dispatch(self, raw: bytes, msg: Any) -> None:
        if not isinstance(msg, dict):
            self._emit(error_response(None, "a JSON-RPC message must be an object", INVALID_REQUEST))
            return
        method = msg.get("method")
        if self._refusal is not None:
            if isinstance(method, str) and "id" in msg:
                self._emit(error_response(msg["id"], self._refusal))
            return
        layers = self._upstream()
        if layers is None:
            return  # closed
        layers.recovery.remember(msg, raw)
        if isinstance(method, str) and "id" in msg:
            if method == "initialize" and self._era is None:
                with self._lock:
                    self._era_pending = True
            self._start_request(raw, msg)
            return
        modern = self._modern
        if method is None and modern is not None and modern.client_answered(msg):
            return  # the client's answer to an input request of the server (2026-07-28)
        if method == "notifications/cancelled":
            params = msg.get("params")
            if isinstance(params, dict) and "requestId" in params:
                key = request_key(params["requestId"])
                with self._lock:
                    self._cancelled.add(key)
                    cancel = self._inflight.get(key) if key in self._modern_requests else None
                if cancel is not None:
                    cancel.cancel()  # 2026-07-28: closing the request's stream is its cancellation
                    return
        if modern is not None and self._era is Era.MODERN:
            self._modern_notification(method)
            return
        self._outbox.put(raw, method if isinstance(method, str) else None)

    def _start_request(self, raw: bytes, msg: dict[str, Any]) -> None:
        from plugboard.core.bridge.exchange import Call

        call = Call.of(raw, msg, self.request_timeout_s)
        after = self._outbox.queued
        with self._lock:
            if self._closed:
                return
            self._waiting.add(call.key)
        self._start_worker(self._request, call, after, name="request")

    def _start_worker(self, target: Callable[..., None], *args: Any, name: str) -> None:
        thread = threading.Thread(target=target, args=args, name=f"proxy-{self.name}-{name}", daemon=True)
        with self._lock:
            if self._closed:
                return
            self._workers.add(thread)
        thread.start()

    def _request(self, call: Call, after: int) -> None:
        from plugboard.core.bridge.transport import cancel_scope, deadline_scope

        problem: str | None = None
        try:
            with deadline_scope(call.deadline), cancel_scope() as cancel:
                with self._lock:
                    self._inflight[call.key] = cancel
                if after and not self._outbox.wait_sent(after, max(0.0, call.deadline - time.monotonic())):
                    raise Unanswered(self.explain.timed_out())
                self._exchange(call)
        except Unanswered as exc:
            problem = str(exc)
        except Exception as exc:  # the last guard of "every request gets an answer"
            problem = f"the proxy failed unexpectedly ({type(exc).__name__}: {exc}); see `plugboard logs {self.name}`"
            self.log(f"request {call.method} failed: {type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._workers.discard(threading.current_thread())
                self._inflight.pop(call.key, None)
                self._modern_requests.discard(call.key)
                cancelled = call.key in self._cancelled
                self._cancelled.discard(call.key)
        if problem is not None and not cancelled and not self._stop.is_set() and self._claim(call.key):
            # Marked as an error so every log reader (ours, the app's health, Claude's log) classes it as one: the
            # sentence itself ("the remote MCP server is unreachable: ...") has no level word a parser would see.
            self.log(f"[error] {call.method}: {problem}")
            self._emit(error_response(call.msg.get("id"), self._redact(f"{self.name}: {problem}")))
        with self._lock:
            self._waiting.discard(call.key)  # cancelled, or answered by now

    def _claim(self, key: str) -> bool:
        """True for the first answer (or error) to request `key`; every later one must be dropped."""
        with self._lock:
            if key in self._waiting:
                self._waiting.discard(key)
                return True
            return False

    def _emit(self, data: bytes) -> None:
        with self._out_lock:
            try:
                self._write(one_line(data) + b"\n")
            except (OSError, ValueError):
                self._stop.set()  # the client is gone; close() follows when stdin ends

    def _from_server(self, payload: bytes, msg: Any) -> None:
        """A message from the server that is not the answer a reader was waiting for: a notification or a server
        request goes to the client; an answer only if its request is still waiting for one."""
        key = answer_key(msg)
        if key is None or self._claim(key):
            self._emit(payload)
        else:
            self.log(f"dropped an answer for a request that is not waiting for one (id {key})")

    # -- the server side ---------------------------------------------------------------------------------------

    def _upstream(self) -> _Layers | None:
        from plugboard.core.bridge.exchange import AnswerReader, ConnectRetry, HandshakeRecovery
        from plugboard.core.bridge.http_session import HttpSession, new_client

        with self._lock:
            if self._layers is not None or self._closed:
                return self._layers
            client = new_client(self._transport, read_timeout_s=self.request_timeout_s)
            http = HttpSession(self.url, client, self._headers, host_header=self._host_header, auth=self.auth)
            upstream = ConnectRetry(
                http,
                self.explain,
                window_s=self.connect_retry_window_s,
                backoff=self.backoff,
                stop=self._stop,
                upstream_ready=self._upstream_ready,
            )
            reader = AnswerReader(
                http,
                self.explain,
                relay=self._from_server,
                log=self.log,
                stop=self._stop,
                track=self._tracked,
                cancelled=self._was_cancelled,
            )
            recovery = HandshakeRecovery(
                upstream,
                reader,
                log=self.log,
                recovering=self._recovering,
                track=self._tracked,
                drain_later=self._drain_later,
            )
            self._layers = _Layers(client, http, upstream, reader, recovery)
            return self._layers

    def _recovering(self, active: bool) -> None:
        self._set_state(ProxyState.REINITIALIZING if active else ProxyState.READY)

    def _was_cancelled(self, key: str) -> bool:
        with self._lock:
            return key in self._cancelled

    def _exchange(self, call: Call) -> None:
        """Send one client request and relay its answer; `Unanswered` when the client must get an error instead."""
        if self._legacy is not None:
            self._legacy_request(call)
            return
        if call.initialize and self._era is None:
            self._open(call)
            return
        if not call.initialize and self._era_pending and not self._era_known.is_set():
            self._era_known.wait(max(0.0, call.deadline - time.monotonic()))  # the client's initialize decides
        if self._modern is not None and self._era is Era.MODERN:
            self._mark_modern(call)
            self._modern.exchange(call)
            return
        if call.version in MODERN_VERSIONS:
            self._mark_modern(call)
            self._modern_layer().relay(call)  # a client that speaks 2026-07-28 itself
            return
        self._exchange_handshake(call)

    def _exchange_handshake(self, call: Call) -> None:
        """Today's path (protocol 2024-11-05 … 2025-11-25): the request as the client wrote it, in our session."""
        from plugboard.core.bridge.transport import deadline_scope

        layers = self._layers
        assert layers is not None
        response = layers.recovery.send(call)
        refused: list[str] | None = None
        with self._tracked(response):
            if wants_legacy(call, response.status_code):
                refused = self._modern_refusal(response)
                if refused is None:
                    self._fall_back_to_legacy(call, response.status_code)
                    return
            else:
                answer = layers.reader.read(response, call)
                if answer is None:
                    return  # cancelled by the client, and the server ended the stream without answering
                layers.recovery.answered(call, response, answer)
                if call.initialize and "result" in answer.msg:
                    self._decided(Era.HANDSHAKE)
                if self._claim(call.key):
                    self._emit(answer.payload)
                with deadline_scope(min(call.deadline, time.monotonic() + ANSWER_TAIL_S)):
                    layers.reader.finish(answer, call)
                return
        # A modern-only server refused the handshake (HTTP 400, -32022): it speaks 2026-07-28, it is not legacy.
        self._handshake_refused(call, refused)

    # -- the protocol era ---------------------------------------------------------------------------------------

    def _open(self, call: Call) -> None:
        """The client's first initialize: probe the era (unless the cache says handshake), then answer it in the
        server's era. See `era` for the rules."""
        from plugboard.core.bridge import era

        cached = self._eras.get(self.url, self._era_via)
        modern = self._modern_layer()
        modern.remember_client(call.msg)
        try:
            if cached is not Era.HANDSHAKE:
                verdict = modern.discover(call.deadline)
                if isinstance(verdict, era.Adopt):
                    self._adopt_modern(call)
                    return
                if isinstance(verdict, era.Incompatible):
                    raise Unanswered(era.incompatible_sentence(verdict.supported))
                assert isinstance(verdict, era.FallBack)
                again = " (it spoke 2026-07-28 last time)" if cached is Era.MODERN else ""
                self.log(f"{verdict.why}: opening a handshake-era session{again}")
                self._probed = True
            self._exchange_handshake(call)
        finally:
            with self._lock:
                self._era_pending = False
            self._era_known.set()

    def _adopt_modern(self, call: Call) -> None:
        modern = self._modern
        assert modern is not None
        self._decided(Era.MODERN)
        answer = modern.initialize_answer(call)
        if self._claim(call.key):
            self._emit(answer)

    def _decided(self, era: Era) -> None:
        self._era = era
        self._eras.put(self.url, era, self._era_via)
        self._era_known.set()

    def _handshake_refused(self, call: Call, supported: list[str]) -> None:
        """initialize got HTTP 400 with -32022 naming only modern versions: re-probe with server/discover once
        (the cached verdict failed, or discover was not conclusive), else say what the server speaks."""
        from plugboard.core.bridge import era

        self.log(f"initialize refused: the server speaks {', '.join(supported)} (2026-07-28 era, no handshake)")
        if not self._probed:
            self._probed = True
            verdict = self._modern_layer().discover(call.deadline)
            if isinstance(verdict, era.Adopt):
                self._adopt_modern(call)
                return
        raise Unanswered(era.incompatible_sentence(supported))

    def _modern_refusal(self, response: Any) -> list[str] | None:
        """For an initialize answered 400/404/405: the server's versions when the body is a modern -32022 error
        (read, bounded), else None (a legacy server: try the HTTP+SSE transport)."""
        import httpx

        from plugboard.core.bridge.era import modern_evidence

        if response.status_code != 400:
            return None
        body = b""
        with contextlib.suppress(httpx.HTTPError, httpx.StreamError):
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= ERROR_BODY_BYTES:
                    break
        return modern_evidence(parse(body))

    def _modern_layer(self) -> ModernSession:
        from plugboard.core.bridge.modern import ModernSession

        layers = self._layers
        assert layers is not None
        with self._lock:
            if self._modern is None:
                self._modern = ModernSession(
                    self.name,
                    layers.upstream,
                    layers.reader,
                    emit=self._emit,
                    deliver=self._deliver,
                    log=self.log,
                    track=self._tracked,
                    stop=self._stop,
                    backoff=self.backoff,
                )
            return self._modern

    def _deliver(self, call: Call, payload: bytes) -> None:
        if self._claim(call.key):
            self._emit(payload)

    def _mark_modern(self, call: Call) -> None:
        with self._lock:
            self._modern_requests.add(call.key)
            cancelled = call.key in self._cancelled
        if cancelled:  # cancelled before it was known to be a 2026-07-28 request
            cancel = self._inflight.get(call.key)
            if cancel is not None:
                cancel.cancel()

    def _modern_notification(self, method: Any) -> None:
        """A notification from a handshake-era client to a 2026-07-28 server: nothing is sent (the revision has no
        client notifications on HTTP); `notifications/initialized` ends the client's handshake with us."""
        if method == "notifications/initialized":
            self._set_state(ProxyState.READY)
            modern = self._modern
            if modern is not None:
                self._start_listener(modern.listen)

    def _send_one_way(self, raw: bytes, method: str | None) -> None:
        """POST a notification or a response to a server request (on the outbox thread); failures are logged."""
        from plugboard.core.bridge.transport import deadline_scope

        what = method or "a response"
        if self._era_pending and not self._era_known.is_set():
            self._era_known.wait(self.request_timeout_s)  # queued while the client's initialize decides the era
        if self._era is Era.MODERN and self._modern is not None:
            msg = parse(raw)
            if method is None and not (isinstance(msg, dict) and self._modern.client_answered(msg)):
                self.log("dropped an answer from the client that answers no request of the server")
            elif method is not None:
                self._modern_notification(method)
            return
        if self._legacy is not None:
            problem = self._legacy.post(raw)
            if problem is not None:
                self.log(f"could not deliver {what} to the server: {problem}")
            elif method == "notifications/initialized":
                self._set_state(ProxyState.READY)
            return
        layers = self._layers
        if layers is None or self._stop.is_set():
            return
        deadline = time.monotonic() + self.request_timeout_s
        try:
            with deadline_scope(deadline):
                response = layers.recovery.send_one_way(raw, method, deadline)
        except Unanswered as exc:
            self.log(f"could not deliver {what} to the server: {exc}")
            return
        if response.status_code >= 400:
            response.close()
            self.log(f"the server refused {what} (HTTP {response.status_code})")
            return
        self._drain_later(response)
        if method == "notifications/initialized":
            self._set_state(ProxyState.READY)
            self._start_listener()

    def _drain_later(self, response: Any) -> None:
        """Take a one-way message's response: nothing to read (202) is closed now, a body is read on its own
        thread, so a server that streams forever holds no one up."""
        import httpx

        from plugboard.core.bridge.http_session import content_type

        if response.status_code == 202 or content_type(response) not in ("application/json", "text/event-stream"):
            with contextlib.suppress(httpx.HTTPError, httpx.StreamError):
                response.read()
            response.close()
            return
        self._track(response)
        self._start_worker(self._drain, response, name="drain")

    def _drain(self, response: Any) -> None:
        import httpx

        try:
            with self._tracked(response):
                assert self._layers is not None
                self._layers.reader.drain(response)
        except (httpx.HTTPError, httpx.StreamError) as exc:
            if not self._stop.is_set():
                self.log(f"lost the server's reply to a one-way message ({type(exc).__name__})")
        finally:
            self._untrack(response)
            with self._lock:
                self._workers.discard(threading.current_thread())

    # -- the standalone GET stream -----------------------------------------------------------------------------

    def _start_listener(self, target: Callable[[], None] | None = None) -> None:
        """One listener per run: the standalone GET stream (handshake era) or `subscriptions/listen` (2026-07-28)."""
        with self._lock:
            if self._listener is not None or self._closed:
                return
            self._listener = threading.Thread(
                target=target or self._listen, name=f"proxy-{self.name}-listen", daemon=True
            )
        self._listener.start()

    def _listen(self) -> None:
        import httpx

        from plugboard.core.bridge import sse

        layers = self._layers
        assert layers is not None
        http = layers.http
        attempt = 0
        last_id: str | None = None
        session_of_last_id = http.session_id
        while not self._stop.is_set():
            if http.session_id != session_of_last_id:
                last_id, session_of_last_id = None, http.session_id
            retry_ms: int | None = None
            try:
                response, sent_session = http.get_stream(last_id)
            except httpx.HTTPError:
                response = None
            except PlugboardError as exc:  # the sign-in cannot go on; requests will say so to the client
                self.log(f"the standalone stream: {exc}")
                response = None
            if response is not None:
                with self._tracked(response):
                    status = response.status_code
                    if status == 405:
                        self.log("the server offers no standalone stream (HTTP 405); not asking again")
                        return
                    if status in (400, 401, 403):
                        self.log(f"the server refused the standalone stream (HTTP {status}); not asking again")
                        return
                    if status == 404 and sent_session:
                        response.close()
                        try:
                            layers.recovery.recover(sent_session, time.monotonic() + self.request_timeout_s)
                            continue
                        except Unanswered:
                            pass
                    elif status == 200:
                        parser = sse.SSEParser()
                        with contextlib.suppress(httpx.HTTPError, httpx.StreamError):
                            for event in sse.events(response.iter_bytes(), parser):
                                attempt = 0
                                if event.event == "message":
                                    layers.reader.relay_message(event.payload)
                        last_id = parser.last_event_id or last_id
                        retry_ms = parser.retry_ms
            attempt += 1
            delay = self.backoff.delay(attempt)
            if retry_ms is not None and attempt == 1:
                delay = retry_ms / 1000.0
            self._stop.wait(delay)

    # -- the legacy fallback -----------------------------------------------------------------------------------

    def _fall_back_to_legacy(self, call: Call, status: int) -> None:
        from plugboard.core.bridge.legacy_sse import LegacySession

        layers = self._layers
        assert layers is not None
        with self._legacy_lock:
            if self._legacy is None:
                self.log(f"POST initialize got HTTP {status}: trying the legacy HTTP+SSE transport (2024-11-05)")
                legacy = LegacySession(
                    self.url,
                    layers.client,
                    self._headers,
                    emit=self._from_server,
                    log=self.log,
                    host_header=self._host_header,
                    replay=layers.recovery.replay_messages,
                    backoff=self.backoff,
                    connect_window_s=self.connect_retry_window_s,
                )
                problem = legacy.connect(self.request_timeout_s)
                if problem is not None:
                    legacy.close()
                    raise Unanswered(
                        f"POST initialize got HTTP {status}, and the legacy SSE transport failed too: {problem}"
                    )
                self._legacy = legacy
                self._decided(Era.HANDSHAKE)
        self._legacy_request(call)

    def _legacy_request(self, call: Call) -> None:
        assert self._legacy is not None
        problem = self._legacy.request(call.raw, call.key, max(0.0, call.deadline - time.monotonic()))
        if problem is not None:
            raise Unanswered(problem)

    # -- bookkeeping and shutdown ------------------------------------------------------------------------------

    def _track(self, response: Any) -> None:
        from plugboard.core.bridge.http_session import abort

        with self._lock:
            self._responses.add(response)
            stopping = self._stop.is_set()
        if stopping:
            abort(response)

    def _untrack(self, response: Any) -> None:
        with self._lock:
            self._responses.discard(response)

    @contextlib.contextmanager
    def _tracked(self, response: Any) -> Any:
        self._track(response)
        try:
            yield response
        finally:
            self._untrack(response)
            response.close()

    def close(self) -> None:
        """Stop relaying, wake every blocked thread, DELETE the session, free the connections. Idempotent."""
        from plugboard.core.bridge.http_session import abort

        with self._lock:
            if self._closed:
                return
            self._closed = True
            # Set under the lock, before the copy: a thread that registers a response after the copy then sees the
            # flag in `_track` and aborts it itself; set after the lock, that response would be in neither.
            self._stop.set()
            responses = list(self._responses)
            threads = [*self._workers, *([self._listener] if self._listener else [])]
            layers = self._layers
        for response in responses:
            abort(response)
        if self._modern is not None:
            self._modern.close()
        if layers is not None:
            from plugboard.core.bridge.transport import abort_connections

            abort_connections(layers.client)  # a thread still waiting for a response head
        self._outbox.close()
        deadline = time.monotonic() + CLOSE_JOIN_S
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._legacy is not None:
            self._legacy.close()
        elif layers is not None and layers.http.session_id:
            status = layers.http.delete()
            self.log(f"session closed (DELETE answered {status})" if status else "session closed")
        if layers is not None:
            layers.client.close()
        with self._lock:
            self._state = ProxyState.CLOSED
