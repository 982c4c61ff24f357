"""One client request's way to the server and back, in three layers, each replaceable on its own.

    Proxy._exchange(call)
      └─ SessionRecovery.send(call)          layer 2: the server forgot our session? open a new one, send again
           └─ ConnectRetry.post(raw, ...)    layer 1: cannot connect? retry within the connect window
      └─ AnswerReader.read(response, call)   layer 3: the answer, from JSON or an SSE stream (resumed if cut)
      └─ SessionRecovery.answered(...)       layer 2 again: what the answer to initialize says of the session

- `ConnectRetry` owns "the server (or the tunnel in front of it) cannot be reached right now": connect errors are
  retried with backoff and jitter within `connect_window_s`, waiting for the tunnel when there is one; a connection
  the tunnel dropped before any answer is sent again once the tunnel is back. Every HTTP call it makes carries the
  request's deadline (no timeout longer than the time left, waiting for a pooled connection included).
- `SessionRecovery` is the contract of layer 2; `HandshakeRecovery` implements it for the handshake era (protocol
  2024-11-05 … 2025-11-25): 404 on a request that carried a session id means the server forgot the session (it
  restarted), so the client's own initialize is replayed (with an id of ours, its answer swallowed), then its
  `notifications/initialized`, then the request is sent once more (FACTS.md §B.8). The handshake-free revision
  (2026-07-28, FACTS.md §D.1: no initialize, no session) has nothing to recover, but much to translate for a client
  that still speaks the handshake: that is `modern.ModernSession`, a parallel layer on top of the same
  `ConnectRetry` and `AnswerReader`, which `Proxy` uses instead of this one once `era` says the server is modern.
- `AnswerReader` owns reading the answer: an HTTP error is explained (or, when the body is the server's own JSON-RPC
  error for this request, that is the answer); a JSON body must parse and carry this request's id; an SSE stream is
  read event by event (`sse.events`), every other message on it handed to `relay` on the way, a stream cut before
  the answer resumed with GET + `Last-Event-ID` honouring `retry:` (FACTS.md §B.9). A truncated event, JSON that
  does not parse, or an answer with another request's id is never taken as the answer (issue 16).

A layer that cannot get an answer raises `explain.Unanswered` with the sentence the client will read; the proxy
writes it as the request's JSON-RPC error. Nothing here writes to the client directly.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from plugboard.core.backoff import Backoff
from plugboard.core.bridge import sse
from plugboard.core.bridge.explain import ERROR_BODY_BYTES, Explainer, Unanswered
from plugboard.core.bridge.http_session import HttpSession, content_type
from plugboard.core.bridge.jsonrpc import Answer, answer_key, meta_version, parse, request_key
from plugboard.core.errors import PlugboardError

if TYPE_CHECKING:
    import httpx

# After an answer went out, the rest of its stream (normally only its end) is read for at most this long so the
# HTTP connection can be reused; a server that keeps the stream open longer gets the connection closed.
ANSWER_TAIL_S = 2.0
# A stream cut before the answer is resumed at most this often per request: enough for a flaky link, and a server
# that keeps dropping the stream cannot keep a request open forever (the request deadline bounds it too).
RESUME_ATTEMPTS = 3

Track = Callable[[Any], contextlib.AbstractContextManager[Any]]
Relay = Callable[[bytes, Any], None]
Logger = Callable[[str], None]


@dataclass(frozen=True)
class Call:
    """One client request on its way: the bytes to POST (untouched), what the layers need to know of it, and the
    moment by which the client gets an answer or an error."""

    raw: bytes
    msg: dict[str, Any]
    key: str
    method: str
    deadline: float
    version: str | None = None  # named by a handshake-free request in its `_meta`

    @classmethod
    def of(cls, raw: bytes, msg: dict[str, Any], timeout_s: float) -> Call:
        method = msg.get("method")
        return cls(
            raw=raw,
            msg=msg,
            key=request_key(msg.get("id")),
            method=method if isinstance(method, str) else "",
            deadline=time.monotonic() + timeout_s,
            version=meta_version(msg),
        )

    @property
    def initialize(self) -> bool:
        return self.method == "initialize"

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline


class ConnectRetry:
    """Layer 1: get an HTTP response from the server, retrying while it cannot be reached (within the window)."""

    def __init__(
        self,
        http: HttpSession,
        explain: Explainer,
        *,
        window_s: float,
        backoff: Backoff,
        stop: threading.Event,
        upstream_ready: Callable[[float], bool] | None = None,
    ) -> None:
        self.http = http
        self.explain = explain
        self.window_s = window_s
        self.backoff = backoff
        self._stop = stop
        self._upstream_ready = upstream_ready

    def post(
        self,
        raw: bytes,
        *,
        deadline: float | None,
        version: str | None = None,
        with_session: bool = True,
        routing: Mapping[str, str] | None = None,
        read_s: float | None = None,
    ) -> tuple[httpx.Response, str | None]:
        """The open response to POSTing `raw` and the session id it carried; `Unanswered` when out of tries.
        `deadline=None` (a long-lived stream): connect attempts still end with the connect window."""
        import httpx

        window_end = time.monotonic() + self.window_s
        connect_until = window_end if deadline is None else min(deadline, window_end)
        attempt = 0
        while True:
            if self._stop.is_set():
                raise Unanswered("the proxy is shutting down")
            try:
                return self.http.post(
                    raw, version=version, with_session=with_session, deadline=deadline, routing=routing, read_s=read_s
                )
            except PlugboardError as exc:  # the sign-in (`--oauth`) cannot go on: its sentence is the answer
                raise Unanswered(str(exc)) from exc
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                attempt += 1
                wait = self.backoff.delay(attempt)
                if self._upstream_ready is not None:
                    self._upstream_ready(max(0.0, connect_until - time.monotonic()))
                if time.monotonic() + wait < connect_until:
                    self._stop.wait(wait)
                    continue
                raise Unanswered(self.explain.unreachable(exc)) from exc
            except httpx.TimeoutException as exc:  # the deadline passed: waiting for a connection, or for the head
                raise Unanswered(self.explain.timed_out()) from exc
            except httpx.HTTPError as exc:
                # Through a tunnel that is reconnecting, a pooled connection dies before any answer: the request
                # never reached the server, so wait for the tunnel and send it again.
                remaining = connect_until - time.monotonic()
                if self._upstream_ready is not None and remaining > 0 and self._upstream_ready(remaining):
                    attempt += 1
                    self._stop.wait(self.backoff.delay(attempt))
                    continue
                raise Unanswered(self.explain.connection_failed(exc)) from exc


class SessionRecovery(Protocol):
    """Layer 2: keep a session with the server across its restarts (or, for a sessionless revision, nothing)."""

    def remember(self, msg: dict[str, Any], raw: bytes) -> None:
        """See every message the client sends before it goes out (what recovery must replay later)."""

    def send(self, call: Call) -> httpx.Response:
        """POST a request; recover the session and send once more if the server forgot it."""

    def send_one_way(self, raw: bytes, method: str | None, deadline: float) -> httpx.Response:
        """POST a notification or a response to a server request, recovering the same way."""

    def answered(self, call: Call, response: httpx.Response, answer: Answer) -> None:
        """The answer to `call` is about to go to the client (initialize: take the session it opened)."""

    def recover(self, failed_session: str | None, deadline: float) -> None:
        """The server answered 404 to something sent with `failed_session` (the GET stream): recover or raise."""


class HandshakeRecovery:
    """Layer 2 for the handshake era: sessions opened by `initialize`, re-opened transparently after a 404."""

    def __init__(
        self,
        upstream: ConnectRetry,
        reader: AnswerReader,
        *,
        log: Logger,
        recovering: Callable[[bool], None],
        track: Track,
        drain_later: Callable[[Any], None],
    ) -> None:
        self.upstream = upstream
        self.http = upstream.http
        self.reader = reader
        self._log = log
        self._recovering = recovering
        self._track = track
        self._drain_later = drain_later
        self._lock = threading.Lock()
        self._reinit_lock = threading.Lock()
        self._init_msg: dict[str, Any] | None = None
        self._initialized_raw: bytes | None = None
        self._replays = 0
        self.reinitializations = 0

    def remember(self, msg: dict[str, Any], raw: bytes) -> None:
        method = msg.get("method")
        if method == "initialize" and "id" in msg:
            self._init_msg = msg
        elif method == "notifications/initialized":
            self._initialized_raw = raw

    def send(self, call: Call) -> httpx.Response:
        recovered = False
        while True:
            response, sent_session = self.upstream.post(call.raw, deadline=call.deadline, version=call.version)
            if response.status_code == 404 and sent_session and not call.initialize and not recovered:
                response.close()
                self.recover(sent_session, call.deadline)
                recovered = True
                continue
            return response

    def send_one_way(self, raw: bytes, method: str | None, deadline: float) -> httpx.Response:
        recovered = False
        while True:
            response, sent_session = self.upstream.post(raw, deadline=deadline)
            # notifications/initialized is part of the recovery itself; a 404 to it is not recovered again.
            if response.status_code == 404 and sent_session and method != "notifications/initialized" and not recovered:
                response.close()
                self.recover(sent_session, deadline)
                recovered = True
                continue
            return response

    def answered(self, call: Call, response: httpx.Response, answer: Answer) -> None:
        if call.initialize:
            self._take_session(response, answer.msg)

    def _take_session(self, response: Any, msg: dict[str, Any]) -> bool:
        result = msg.get("result")
        if not isinstance(result, dict):
            return False
        version = result.get("protocolVersion")
        session_id = response.headers.get("mcp-session-id")
        self.http.set_session(session_id, version if isinstance(version, str) else None)
        info = result.get("serverInfo")
        name = info.get("name", "?") if isinstance(info, dict) else "?"
        # The session id itself is not logged: anyone holding it could talk in our session.
        kind = "with a session" if session_id else "stateless (no session id)"
        self._log(f"initialized: server {name}, protocol {version}, {kind}")
        return True

    def recover(self, failed_session: str | None, deadline: float) -> None:
        """The server forgot `failed_session` (404): open a new one with the client's own initialize."""
        with self._reinit_lock:
            if self.http.session_id != failed_session:
                return  # another thread already did it
            replay = self._replay_call(deadline)
            if replay is None:
                raise Unanswered("the remote server ended the session and the client never initialized one")
            call, initialized = replay
            self._recovering(True)
            self._log("the remote server no longer knows our session (HTTP 404); re-initializing transparently")
            try:
                self._reopen(call, initialized)
            finally:
                self._recovering(False)
            self.reinitializations += 1
            self._log("re-initialized: new session open, retrying the request")

    def _reopen(self, call: Call, initialized: bytes) -> None:
        response, _sid = self.upstream.post(call.raw, deadline=call.deadline, with_session=False)
        with self._track(response):
            if response.status_code >= 400:
                raise Unanswered(f"the remote server refused a new session (HTTP {response.status_code})")
            answer = self.reader.read(response, call)
            if answer is None or not self._take_session(response, answer.msg):
                raise Unanswered("the remote server did not accept a new session after it restarted")
        ack, _sid = self.upstream.post(initialized, deadline=call.deadline)
        self._drain_later(ack)

    def _replay_call(self, deadline: float) -> tuple[Call, bytes] | None:
        """(the client's initialize with an id of ours, its notifications/initialized), to open a new session the
        way the client opened the first; None if the client never initialized."""
        if self._init_msg is None:
            return None
        with self._lock:
            self._replays += 1
            msg = dict(self._init_msg)
            msg["id"] = f"plugboard-reinit-{self._replays}"
        raw = json.dumps(msg, separators=(",", ":")).encode()
        call = Call(raw=raw, msg=msg, key=request_key(msg["id"]), method="initialize", deadline=deadline)
        initialized = self._initialized_raw or b'{"jsonrpc":"2.0","method":"notifications/initialized"}'
        return call, initialized

    def replay_messages(self) -> tuple[bytes, str, bytes] | None:
        """The replay for the legacy transport: (initialize with an id of ours, that id's key, initialized)."""
        replay = self._replay_call(time.monotonic())
        if replay is None:
            return None
        call, initialized = replay
        return call.raw, call.key, initialized


class AnswerReader:
    """Layer 3: the answer to one request from its HTTP response; other messages on the way go to `relay`."""

    def __init__(
        self,
        http: HttpSession,
        explain: Explainer,
        *,
        relay: Relay,
        log: Logger,
        stop: threading.Event,
        track: Track,
        cancelled: Callable[[str], bool],
    ) -> None:
        self.http = http
        self.explain = explain
        self._relay = relay
        self._log = log
        self._stop = stop
        self._track = track
        self._cancelled = cancelled

    def read(self, response: httpx.Response, call: Call) -> Answer | None:
        """The answer; None only when the client cancelled the request and the stream ended without one."""
        import httpx

        status = response.status_code
        if status >= 400:
            return self._error(response, call)
        kind = content_type(response)
        if kind == "text/event-stream":
            return self._stream(response, call)
        try:
            body = response.read()
        except (httpx.HTTPError, httpx.StreamError) as exc:
            raise self._broken(exc, call) from exc
        if not body.strip():
            raise Unanswered(f"the remote server accepted the request (HTTP {status}) but sent no answer")
        if kind != "application/json":
            raise Unanswered(f"the remote server answered with {kind or 'no content type'}, not JSON or SSE")
        msg = parse(body)
        if msg is None:
            raise Unanswered("the remote server's answer is not valid JSON (cut short?)")
        if answer_key(msg) != call.key:
            self._log(f"{call.method}: the server's JSON answer is not the answer to this request; dropped")
            raise Unanswered("the remote server sent an answer that is not for this request")
        return Answer(body, msg)

    def finish(self, answer: Answer, call: Call) -> None:
        """After the answer went out: read the rest of its stream (normally just its end, so the connection can be
        reused). Messages on it still go to `relay`; a second answer is dropped. Errors end it quietly."""
        import httpx

        if answer.rest is None:
            return
        with contextlib.suppress(httpx.HTTPError, httpx.StreamError):
            for event in answer.rest:
                if event.event == "message" and self._message(event.payload, call) is not None:
                    self._log(f"{call.method}: dropped a second answer to the same request")

    def drain(self, response: httpx.Response) -> None:
        """Read a one-way message's response to its end; anything a server sends on it goes to `relay`."""
        kind = content_type(response)
        if response.status_code == 202 or kind not in ("application/json", "text/event-stream"):
            response.read()
        elif kind == "application/json":
            body = response.read()
            if body.strip():
                self._message(body, None)
        else:
            for event in sse.events(response.iter_bytes()):
                if event.event == "message":
                    self._message(event.payload, None)

    def relay_message(self, payload: bytes) -> None:
        """A message from a stream that answers no request of ours (the GET stream): validated, then to `relay`."""
        self._message(payload, None)

    def _message(self, payload: bytes, call: Call | None) -> Answer | None:
        """One message from the server: the answer to `call`, or None after handing it to `relay` (or dropping
        what is not valid JSON, or an answer to another request on this request's stream)."""
        msg = parse(payload)
        if msg is None:
            self._log("dropped a server message that is not valid JSON (cut short?)")
            return None
        key = answer_key(msg)
        if call is not None and key is not None:
            if key == call.key:
                return Answer(payload, msg)
            self._log(f"{call.method}: dropped an answer for another request (id {key}) on this request's stream")
            return None
        self._relay(payload, msg)
        return None

    def _stream(self, response: httpx.Response, call: Call) -> Answer | None:
        import httpx

        parser = sse.SSEParser()
        resumes = 0
        current: Any = response
        with contextlib.ExitStack() as resumed_streams:
            while True:
                try:
                    stream = sse.events(current.iter_bytes(), parser)
                    for event in stream:
                        if event.event == "message":
                            answer = self._message(event.payload, call)
                            if answer is not None:
                                return Answer(answer.payload, answer.msg, rest=stream)
                        if call.expired():
                            raise Unanswered(self.explain.timed_out())
                except (httpx.HTTPError, httpx.StreamError) as exc:
                    if isinstance(exc, httpx.TimeoutException) or call.expired():
                        raise Unanswered(self.explain.timed_out()) from exc
                    if not parser.last_event_id or self._stop.is_set():
                        raise Unanswered(self.explain.connection_failed(exc)) from exc
                parser.finish()  # an event cut off by the end of the stream is not an answer
                if self._cancelled(call.key):
                    return None
                if not parser.last_event_id or resumes >= RESUME_ATTEMPTS or self._stop.is_set():
                    raise Unanswered("the remote server ended its answer stream before answering")
                resumes += 1
                current = resumed_streams.enter_context(self._track(self._resume(parser, call)))

    def _resume(self, parser: sse.SSEParser, call: Call) -> httpx.Response:
        import httpx

        pause = (parser.retry_ms or 0) / 1000.0
        if time.monotonic() + pause > call.deadline:
            raise Unanswered(self.explain.timed_out())
        if pause:
            self._stop.wait(pause)
        self._log(f"answer stream ended early; resuming after event {parser.last_event_id!r}")
        try:
            resumed, _sid = self.http.get_stream(parser.last_event_id, deadline=call.deadline)
        except httpx.HTTPError as exc:
            raise self._broken(exc, call) from exc
        except PlugboardError as exc:
            raise Unanswered(str(exc)) from exc
        if resumed.status_code != 200:
            resumed.close()
            raise Unanswered(f"the remote server could not resume the answer stream (HTTP {resumed.status_code})")
        return resumed

    def _error(self, response: httpx.Response, call: Call) -> Answer:
        body = b""
        with contextlib.suppress(Exception):
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= ERROR_BODY_BYTES:
                    break
        parsed = parse(body)
        if answer_key(parsed) == call.key:
            return Answer(body, parsed)  # the server's own JSON-RPC error for this request says it best
        raise Unanswered(self.explain.http_error(response.status_code, body, content_type(response)))

    def _broken(self, exc: BaseException, call: Call) -> Unanswered:
        import httpx

        if isinstance(exc, httpx.TimeoutException) or call.expired():
            return Unanswered(self.explain.timed_out())
        return Unanswered(self.explain.connection_failed(exc))
