"""The bridge's owner object: a stdio MCP server to Claude, a raw JSON-RPC relay to one remote MCP endpoint.

`Proxy` owns one upstream MCP session. States (DESIGN.md "Owners and state machines"): `initializing` (until the
client's `notifications/initialized` has reached the server) → `ready` → `re-initializing` (the server forgot our
session) → `ready` …; `closed` is final. `close()` is bounded and safe to call twice.

Why a raw relay and not an SDK client session upstream: a second session in the middle answers or drops what it
does not understand, which is how peer bridges lose server→client requests and notifications (FACTS.md §B.10). Here
every message from Claude is POSTed as it came (bytes untouched), and every message from the server is written to
stdout as it came. The proxy reads a message only for what the relay needs: a request's id (to answer it if the
server cannot), `initialize` (kept, to replay it), the negotiated version and the session id.

Threads, not asyncio: the caller's thread reads stdin (`run`); each request gets its own short-lived thread, which
POSTs and relays the answer (JSON body or SSE stream); notifications and responses to server requests are POSTed in
order on the reader thread, so `notifications/initialized` always reaches the server before the next request. One
listener thread holds the standalone GET stream. Sync httpx on threads costs well under a millisecond per message,
which is the latency budget (issue 6).

Correctness rules this module carries (FACTS.md §B; the header rules live in `http_session`):
- A request's answer may be JSON or SSE; SSE streams may carry server requests and notifications first; event ids
  are tracked, and a stream that ends (or is reset) before the answer is resumed with GET + `Last-Event-ID`,
  honouring `retry:`.
- 404 on a request that carried a session id means the session is gone: the client's own initialize is replayed
  (with an id of ours, its answer swallowed), then its `notifications/initialized`, then the request is retried,
  once. Claude never notices a restarted backend.
- Every request gets an answer within `request_timeout_s`: the server's, or a JSON-RPC error whose message says
  what failed and what to do (server unreachable, 401/403, 5xx, timeout, stream cut). A request the client
  cancelled gets no synthesized error.
- The standalone GET stream: 405 means "none", never retried; a dropped stream reconnects with backoff, jitter and
  a cap (`tunnel.backoff.Backoff`), so a dead server is not hammered (FACTS.md §B.15).
- Legacy servers (2024-11-05 HTTP+SSE): if POST initialize answers 400/404/405, `legacy_sse.LegacySession` takes
  over for the rest of the run.
- DELETE with the session id at close.

Logging goes to a callback (the command sends it to stderr and the connector log); nothing written there carries a
header value: `log` redacts every configured secret value as a last guard, and the same guard runs over every error
message sent to the client. The address appears only as `remote_url.display_url` (no user info, no query); the
user info and query of the configured URL are masked too, should a library's message quote the full URL.

An HTTP error's body is explained, not passed on: a JSON-RPC error's message, or (an nginx 502 page, a login form)
the HTML page's <title> or its tag-stripped text, on one line, at most `ERROR_DETAIL_CHARS` characters
(`error_detail`).
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from plugboard.core.backoff import Backoff
from plugboard.core.bridge.http_session import HttpSession, abort, new_client
from plugboard.core.bridge.sse import SSEParser
from plugboard.core.bridge.url import display_url
from plugboard.core.logs.redact import Redactor

if TYPE_CHECKING:
    import httpx

    from plugboard.core.bridge.legacy_sse import LegacySession

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
# A stream cut before the answer is resumed at most this often per request: enough for a flaky link, and a server
# that keeps dropping the stream cannot keep a request open forever (the request deadline bounds it too).
RESUME_ATTEMPTS = 3
# Closing: in-flight threads were woken by shutting their sockets, so they end in milliseconds; 3 s is a loaded
# machine, and Claude waits for us to exit.
CLOSE_JOIN_S = 3.0
# Upstream retries start fast (a restarted backend is usually back in a second) and never wait more than 15 s
# between tries, so the session recovers soon after the server does.
RETRY_BACKOFF = Backoff(first_s=0.25, cap_s=15.0, jitter=0.5, stable_after_s=60.0)
# How much of an error body we read to explain a failure: a JSON-RPC error or a short HTML page, never a dump.
ERROR_BODY_BYTES = 4096
# How much of an error body's text reaches Claude and the log: one readable sentence ("502 Bad Gateway", "upstream
# timed out"), short enough for Claude's error banner; the rest is page furniture.
ERROR_DETAIL_CHARS = 120

# JSON-RPC "server error" range; -32000 = the remote could not be reached or did not answer.
UPSTREAM_ERROR = -32000
PARSE_ERROR = -32700
INVALID_REQUEST = -32600

Writer = Callable[[bytes], None]
Logger = Callable[[str], None]


# The head of an answer as the MCP SDKs' Python servers write it: `{"jsonrpc":"2.0","id":ID,"result":` (or
# "error"). Matching it tells "this is the answer to ID" without parsing a 200 kB result (measured: a full
# json.loads of each large event cost ~15 % of a 200 kB call). Any other shape falls back to a full parse.
_ANSWER_HEAD = re.compile(
    rb'\{\s*"jsonrpc"\s*:\s*"2\.0"\s*,\s*"id"\s*:\s*(-?\d+|"[^"\\]*")\s*,\s*"(?:result|error)"\s*:'
)


def request_key(request_id: Any) -> str:
    """A hashable key for a JSON-RPC id that keeps 1 and "1" apart."""
    return json.dumps(request_id, separators=(",", ":"))


def one_line(data: bytes) -> bytes:
    """JSON text on one line. Raw newlines in JSON are whitespace outside strings (inside, they must be escaped),
    so replacing them keeps the message intact without parsing it."""
    if b"\n" in data or b"\r" in data:
        return data.replace(b"\r", b" ").replace(b"\n", b" ")
    return data


def error_response(request_id: Any, message: str, code: int = UPSTREAM_ERROR) -> bytes:
    body = {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
    return json.dumps(body, separators=(",", ":")).encode()


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
_INVISIBLE = re.compile(rb"<(script|style|head)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_TAG = re.compile(rb"<[^>]*>?")


def error_detail(body: bytes, content_type: str = "") -> str:
    """The readable part of an HTTP error body: an HTML page's <title> (else its text without tags), or plain text;
    whitespace collapsed to one line, at most `ERROR_DETAIL_CHARS` characters."""
    head = body.lstrip()[:64].lower()
    if "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")):
        title = _TITLE.search(body)
        text = title.group(1) if title and title.group(1).strip() else _TAG.sub(b" ", _INVISIBLE.sub(b" ", body))
        detail = html.unescape(text.decode("utf-8", "replace"))
    else:
        detail = body.decode("utf-8", "replace")
    detail = " ".join(detail.split())
    if len(detail) > ERROR_DETAIL_CHARS:
        detail = detail[: ERROR_DETAIL_CHARS - 1].rstrip() + "…"
    return detail


def _meta_version(msg: dict[str, Any]) -> str | None:
    params = msg.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    version = meta.get("io.modelcontextprotocol/protocolVersion") if isinstance(meta, dict) else None
    return version if isinstance(version, str) else None


def _is_answer(msg: Any, key: str) -> bool:
    return (
        isinstance(msg, dict)
        and "id" in msg
        and "method" not in msg
        and ("result" in msg or "error" in msg)
        and request_key(msg["id"]) == key
    )


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
    ) -> None:
        self.name = name
        self.url = url
        self.request_timeout_s = request_timeout_s
        self.connect_retry_window_s = connect_retry_window_s
        self.backoff = backoff
        self._write = write
        self._log = log
        self._redactor = Redactor([*(secret_values or []), *_url_secrets(url)])
        self._refusal = refusal
        self._unreachable_hint = unreachable_hint
        self._upstream_ready = upstream_ready
        self._configured_auth = bool(headers)
        self._transport = transport
        self._headers = dict(headers or {})
        self._host_header = host_header
        self._client: httpx.Client | None = None
        self._http: HttpSession | None = None
        self._legacy: LegacySession | None = None
        self._legacy_lock = threading.Lock()

        self._lock = threading.Lock()
        self._out_lock = threading.Lock()
        self._reinit_lock = threading.Lock()
        self._state = INITIALIZING
        self._listeners: list[Callable[[str], None]] = []
        self._stop = threading.Event()
        self._closed = False
        self._workers: set[threading.Thread] = set()
        self._responses: set[Any] = set()
        self._cancelled: set[str] = set()
        self._listener: threading.Thread | None = None
        self._init_msg: dict[str, Any] | None = None
        self._initialized_raw: bytes | None = None
        self._reinit_count = 0
        self.reinitializations = 0

    # -- state and events ------------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    def subscribe(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call `callback(state)` on every state change (from a proxy thread); returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(callback)

        return unsubscribe

    def _set_state(self, state: str) -> None:
        with self._lock:
            if self._state in (state, CLOSED):
                return
            self._state = state
            listeners = list(self._listeners)
        for listener in listeners:
            with contextlib.suppress(Exception):
                listener(state)

    def log(self, text: str) -> None:
        if self._log is not None:
            self._log(self._redactor.redact(text))

    # -- the client side ---------------------------------------------------------------------------------------

    def run(self, stdin: Any) -> None:
        """Relay until the client closes stdin (a binary file object), then close."""
        try:
            for line in iter(stdin.readline, b""):
                self.handle_line(line)
        finally:
            self.close()

    def handle_line(self, line: bytes) -> None:
        """One newline-delimited message from the client."""
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
        if isinstance(method, str) and "id" in msg:
            self._start_request(raw, msg)
            return
        if method == "notifications/initialized":
            self._initialized_raw = raw
        elif method == "notifications/cancelled":
            params = msg.get("params")
            if isinstance(params, dict) and "requestId" in params:
                with self._lock:
                    self._cancelled.add(request_key(params["requestId"]))
        if self._refusal is None and not self._stop.is_set():
            self._send_one_way(raw, method)

    def _start_request(self, raw: bytes, msg: dict[str, Any]) -> None:
        if self._refusal is not None:
            self._emit(error_response(msg["id"], self._refusal))
            return
        if msg["method"] == "initialize":
            self._init_msg = msg
        thread = threading.Thread(target=self._request, args=(raw, msg), name=f"proxy-{self.name}-request", daemon=True)
        with self._lock:
            if self._closed:
                return
            self._workers.add(thread)
        thread.start()

    def _request(self, raw: bytes, msg: dict[str, Any]) -> None:
        key = request_key(msg["id"])
        try:
            problem = self._exchange(raw, msg, key)
        except Exception as exc:  # the last guard of "every request gets an answer"
            problem = f"the proxy failed unexpectedly ({type(exc).__name__}: {exc}); see `plugboard logs {self.name}`"
            self.log(f"request {msg.get('method')} failed: {type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._workers.discard(threading.current_thread())
        with self._lock:
            cancelled = key in self._cancelled
            self._cancelled.discard(key)
        if problem is not None and not cancelled and not self._stop.is_set():
            self.log(f"{msg.get('method')}: {problem}")
            self._emit(error_response(msg["id"], self._redactor.redact(f"{self.name}: {problem}")))

    def _emit(self, data: bytes) -> None:
        with self._out_lock:
            try:
                self._write(one_line(data) + b"\n")
            except (OSError, ValueError):
                self._stop.set()  # the client is gone; close() follows when stdin ends

    # -- the server side ---------------------------------------------------------------------------------------

    def _session(self) -> HttpSession:
        with self._lock:
            if self._http is None:
                self._client = new_client(self._transport, read_timeout_s=self.request_timeout_s)
                self._http = HttpSession(self.url, self._client, self._headers, host_header=self._host_header)
            return self._http

    def _exchange(self, raw: bytes, msg: dict[str, Any], key: str) -> str | None:
        """Send one client request and relay its answer; an explanation if the client must get an error instead."""
        import httpx

        if self._legacy is not None:
            return self._legacy.request(raw, key, self.request_timeout_s)
        http = self._session()
        method = msg["method"]
        deadline = time.monotonic() + self.request_timeout_s
        connect_until = time.monotonic() + self.connect_retry_window_s
        attempt = 0
        retried_after_404 = False
        version = _meta_version(msg)
        while True:
            if self._stop.is_set():
                return "the proxy is shutting down"
            try:
                response, sent_session = http.post(raw, version=version)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                attempt += 1
                wait = self.backoff.delay(attempt)
                if self._upstream_ready is not None:
                    self._upstream_ready(max(0.0, connect_until - time.monotonic()))
                if time.monotonic() + wait < connect_until:
                    self._stop.wait(wait)
                    continue
                return self._unreachable(exc)
            except httpx.TimeoutException:
                return self._timed_out()
            except httpx.HTTPError as exc:
                # Through a tunnel that is reconnecting, the local port accepts and then drops us before any
                # answer: the request never reached the server, so wait for the tunnel and send it again.
                remaining = connect_until - time.monotonic()
                if self._upstream_ready is not None and remaining > 0 and self._upstream_ready(remaining):
                    attempt += 1
                    self._stop.wait(self.backoff.delay(attempt))
                    continue
                return self._connection_failed(exc)
            with self._tracked(response):
                status = response.status_code
                if status == 404 and sent_session and method != "initialize" and not retried_after_404:
                    problem = self._reinitialize(sent_session)
                    if problem is not None:
                        return problem
                    retried_after_404 = True
                    continue
                if method == "initialize" and status in (400, 404, 405):
                    return self._fall_back_to_legacy(raw, key, status)
                if status >= 400:
                    return self._http_error(response, msg)
                ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype == "text/event-stream":
                    return self._relay_stream(response, key, deadline, initialize=method == "initialize")
                try:
                    body = response.read()
                except httpx.TimeoutException:
                    return self._timed_out()
                except (httpx.HTTPError, httpx.StreamError) as exc:
                    return self._connection_failed(exc)
                if not body.strip():
                    return f"the remote server accepted the request (HTTP {status}) but sent no answer"
                if ctype != "application/json":
                    return f"the remote server answered with {ctype or 'no content type'}, not JSON or SSE"
                if method == "initialize":
                    try:
                        self._take_initialize(response, json.loads(body))
                    except ValueError:
                        return "the remote server's answer to initialize is not valid JSON"
                self._emit(body)
                return None

    def _relay_stream(self, response: httpx.Response, key: str, deadline: float, *, initialize: bool) -> str | None:
        """Relay an SSE answer; resume it with Last-Event-ID if it ends early. None once the answer went out."""
        import httpx

        http = self._session()
        parser = SSEParser()
        resumes = 0
        current = response
        while True:
            answered = False
            try:
                for chunk in current.iter_bytes():
                    for event in parser.feed(chunk):
                        if event.event == "message" and self._deliver(event.data, key, current, initialize):
                            answered = True
                    if time.monotonic() > deadline:
                        return self._timed_out()
            except httpx.TimeoutException:
                return self._timed_out()
            except (httpx.HTTPError, httpx.StreamError) as exc:
                if not parser.last_event_id or self._stop.is_set():
                    return self._connection_failed(exc)
            if answered:
                return None
            with self._lock:
                if key in self._cancelled:
                    return None
            if not parser.last_event_id or resumes >= RESUME_ATTEMPTS or self._stop.is_set():
                return "the remote server ended its answer stream before answering"
            resumes += 1
            pause = (parser.retry_ms or 0) / 1000.0
            if time.monotonic() + pause > deadline:
                return self._timed_out()
            if pause:
                self._stop.wait(pause)
            self.log(f"answer stream ended early; resuming after event {parser.last_event_id!r}")
            try:
                resumed, _sid = http.get_stream(parser.last_event_id)
            except httpx.HTTPError as exc:
                return self._connection_failed(exc)
            if current is not response:
                self._untrack(current)
                current.close()
            self._track(resumed)
            current = resumed
            if resumed.status_code != 200:
                self._untrack(resumed)
                resumed.close()
                return f"the remote server could not resume the answer stream (HTTP {resumed.status_code})"
            last = parser.last_event_id
            parser = SSEParser()
            parser.last_event_id = last

    def _deliver(self, data: str, key: str | None, response: Any, initialize: bool) -> bool:
        """Write one server message to the client; True if it is the answer to request `key`."""
        raw = data.encode("utf-8")
        if key is None:
            self._emit(raw)
            return False
        if not initialize:
            peeked = _ANSWER_HEAD.match(raw)
            if peeked is not None:  # an answer, told from its first bytes without parsing a large result
                self._emit(raw)
                return peeked.group(1).decode() == key
        try:
            msg = json.loads(raw)
        except ValueError:
            self.log("dropped an SSE event that is not JSON")
            return False
        answer = _is_answer(msg, key)
        if answer and initialize:
            self._take_initialize(response, msg)
        self._emit(raw)
        return answer

    def _take_initialize(self, response: Any, msg: Any) -> None:
        result = msg.get("result") if isinstance(msg, dict) else None
        if not isinstance(result, dict):
            return
        version = result.get("protocolVersion")
        session_id = response.headers.get("mcp-session-id")
        self._session().set_session(session_id, version if isinstance(version, str) else None)
        info = result.get("serverInfo")
        name = info.get("name", "?") if isinstance(info, dict) else "?"
        # The session id itself is not logged: anyone holding it could talk in our session.
        kind = "with a session" if session_id else "stateless (no session id)"
        self.log(f"initialized: server {name}, protocol {version}, {kind}")

    def _send_one_way(self, raw: bytes, method: Any) -> None:
        """POST a notification or a response to a server request (202 expected); failures are logged."""
        import httpx

        if self._legacy is not None:
            self._legacy.post(raw)
            if method == "notifications/initialized":
                self._set_state(READY)
            return
        http = self._session()
        for _attempt in range(2):
            try:
                response, sent_session = http.post(raw)
            except httpx.HTTPError as exc:
                self.log(f"could not deliver {method or 'a response'} to the server: {type(exc).__name__}")
                return
            with self._tracked(response):
                status = response.status_code
                if status == 404 and sent_session and method != "notifications/initialized":
                    response.close()
                    if self._reinitialize(sent_session) is None:
                        continue
                    return
                if status >= 400:
                    self.log(f"the server refused {method or 'a response'} (HTTP {status})")
                    return
                try:
                    self._drain_one_way(response)
                except (httpx.HTTPError, httpx.StreamError) as exc:
                    self.log(f"lost the server's reply to {method or 'a response'} ({_describe(exc)})")
            if method == "notifications/initialized":
                self._set_state(READY)
                self._start_listener()
            return

    def _drain_one_way(self, response: Any) -> None:
        """A one-way POST is normally answered 202 with no body; relay anything a server sends anyway."""
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if response.status_code == 202 or ctype not in ("application/json", "text/event-stream"):
            response.read()
            return
        if ctype == "application/json":
            body = response.read()
            if body.strip():
                self._emit(body)
            return
        parser = SSEParser()
        for chunk in response.iter_bytes():
            for event in parser.feed(chunk):
                if event.event == "message":
                    self._emit(event.data.encode())

    # -- re-initialisation -------------------------------------------------------------------------------------

    def _reinitialize(self, failed_session: str) -> str | None:
        """The server forgot `failed_session` (404): open a new one with the client's own initialize."""
        import httpx

        http = self._session()
        with self._reinit_lock:
            if http.session_id != failed_session:
                return None  # another thread already did it
            messages = self._replay_messages()
            if messages is None:
                return "the remote server ended the session and the client never initialized one"
            self._set_state(REINITIALIZING)
            self.log("the remote server no longer knows our session (HTTP 404); re-initializing transparently")
            body, key, initialized = messages
            try:
                response, _sid = http.post(body, with_session=False)
            except httpx.HTTPError as exc:
                self._set_state(READY)
                return self._unreachable(exc)
            with self._tracked(response):
                if response.status_code >= 400:
                    self._set_state(READY)
                    return f"the remote server refused a new session (HTTP {response.status_code})"
                try:
                    answer = self._read_single_answer(response, key)
                except (httpx.HTTPError, httpx.StreamError) as exc:
                    self._set_state(READY)
                    return self._connection_failed(exc)
            result = answer.get("result") if isinstance(answer, dict) else None
            if not isinstance(result, dict):
                self._set_state(READY)
                return "the remote server did not accept a new session after it restarted"
            version = result.get("protocolVersion")
            http.set_session(response.headers.get("mcp-session-id"), version if isinstance(version, str) else None)
            try:
                with self._tracked(http.post(initialized)[0]) as ack:
                    ack.read()
            except httpx.HTTPError as exc:
                self._set_state(READY)
                return self._connection_failed(exc)
            self.reinitializations += 1
            self._set_state(READY)
            self.log("re-initialized: new session open, retrying the request")
            return None

    def _read_single_answer(self, response: Any, key: str) -> Any:
        """The answer to `key` from a JSON or SSE response; other messages on the stream go to the client."""
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "application/json":
            with contextlib.suppress(ValueError):
                return json.loads(response.read())
            return None
        parser = SSEParser()
        for chunk in response.iter_bytes():
            for event in parser.feed(chunk):
                if event.event != "message":
                    continue
                try:
                    msg = json.loads(event.data)
                except ValueError:
                    continue
                if _is_answer(msg, key):
                    return msg
                self._emit(event.data.encode())
        return None

    def _replay_messages(self) -> tuple[bytes, str, bytes] | None:
        """(the client's initialize with an id of ours, that id's key, its notifications/initialized) to open a
        new session the way the client opened the first; None if the client never initialized."""
        if self._init_msg is None:
            return None
        with self._lock:
            self._reinit_count += 1
            replay = dict(self._init_msg)
            replay["id"] = f"plugboard-reinit-{self._reinit_count}"
        initialized = self._initialized_raw or b'{"jsonrpc":"2.0","method":"notifications/initialized"}'
        return json.dumps(replay, separators=(",", ":")).encode(), request_key(replay["id"]), initialized

    # -- the standalone GET stream -----------------------------------------------------------------------------

    def _start_listener(self) -> None:
        with self._lock:
            if self._listener is not None or self._closed:
                return
            self._listener = threading.Thread(target=self._listen, name=f"proxy-{self.name}-listen", daemon=True)
        self._listener.start()

    def _listen(self) -> None:
        import httpx

        http = self._session()
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
                        if self._reinitialize(sent_session) is None:
                            continue
                    elif status == 200:
                        parser = SSEParser()
                        with contextlib.suppress(httpx.HTTPError, httpx.StreamError):
                            for chunk in response.iter_bytes():
                                for event in parser.feed(chunk):
                                    attempt = 0
                                    if event.event == "message":
                                        self._deliver(event.data, None, response, False)
                        last_id = parser.last_event_id or last_id
                        retry_ms = parser.retry_ms
            attempt += 1
            delay = self.backoff.delay(attempt)
            if retry_ms is not None and attempt == 1:
                delay = retry_ms / 1000.0
            self._stop.wait(delay)

    # -- the legacy fallback -----------------------------------------------------------------------------------

    def _fall_back_to_legacy(self, raw: bytes, key: str, status: int) -> str | None:
        from plugboard.core.bridge.legacy_sse import LegacySession

        with self._legacy_lock:
            if self._legacy is None:
                self.log(f"POST initialize got HTTP {status}: trying the legacy HTTP+SSE transport (2024-11-05)")
                legacy = LegacySession(
                    self.url,
                    self._session().client,
                    self._headers,
                    emit=self._emit,
                    log=self.log,
                    host_header=self._host_header,
                    replay=self._replay_messages,
                    backoff=self.backoff,
                    connect_window_s=self.connect_retry_window_s,
                )
                problem = legacy.connect(self.request_timeout_s)
                if problem is not None:
                    legacy.close()
                    return f"POST initialize got HTTP {status}, and the legacy SSE transport failed too: {problem}"
                self._legacy = legacy
        return self._legacy.request(raw, key, self.request_timeout_s)

    # -- explanations ------------------------------------------------------------------------------------------

    def _unreachable(self, exc: Exception) -> str:
        hint = self._unreachable_hint() if self._unreachable_hint else None
        why = hint or f"cannot connect to {display_url(self.url)} ({_describe(exc)})"
        return f"the remote MCP server is unreachable: {why}. Is it running? Check with `plugboard doctor {self.name}`"

    def _timed_out(self) -> str:
        return f"the remote MCP server did not answer within {self.request_timeout_s:g} s"

    def _connection_failed(self, exc: Exception) -> str:
        hint = self._unreachable_hint() if self._unreachable_hint else None
        why = f"; {hint}" if hint else ""
        return f"the connection to the remote MCP server broke ({_describe(exc)}){why}; try again"

    def _http_error(self, response: Any, msg: dict[str, Any]) -> str | None:
        status = response.status_code
        body = b""
        with contextlib.suppress(Exception):
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= ERROR_BODY_BYTES:
                    break
        detail = ""
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            parsed = json.loads(body)
            if _is_answer(parsed, request_key(msg["id"])):
                self._emit(body)  # the server's own JSON-RPC error for this request says it best
                return None
            detail = error_detail(str(parsed["error"]["message"]).encode("utf-8", "replace"))
        if not detail:
            detail = error_detail(body, response.headers.get("content-type", ""))
        detail = f": {detail}" if detail else ""
        if status in (401, 403):
            word = "refused our credentials" if self._configured_auth else "requires credentials"
            fix = (
                f"store a valid token with `plugboard secret set {self.name} KEY` (the key named in --bearer-secret "
                "or --header) and restart Claude"
                if self._configured_auth
                else "add --bearer-secret KEY (or --header) to this connector and store the token with "
                f"`plugboard secret set {self.name} KEY`"
            )
            return f"the remote MCP server {word} (HTTP {status}{detail}); {fix}"
        if status >= 500:
            return f"the remote MCP server failed (HTTP {status}{detail}); try again, or check the server's logs"
        return f"the remote MCP server rejected the request (HTTP {status}{detail})"

    # -- bookkeeping and shutdown ------------------------------------------------------------------------------

    def _track(self, response: Any) -> None:
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
        with self._lock:
            if self._closed:
                return
            self._closed = True
            # Set under the lock, before the copy: a thread that registers a response after the copy then sees the
            # flag in `_track` and aborts it itself; set after the lock, that response would be in neither.
            self._stop.set()
            responses = list(self._responses)
            threads = [*self._workers, *([self._listener] if self._listener else [])]
        for response in responses:
            abort(response)
        deadline = time.monotonic() + CLOSE_JOIN_S
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._legacy is not None:
            self._legacy.close()
        elif self._http is not None and self._http.session_id:
            status = self._http.delete()
            self.log(f"session closed (DELETE answered {status})" if status else "session closed")
        if self._client is not None:
            self._client.close()
        with self._lock:
            self._state = CLOSED


def _url_secrets(url: str) -> list[str]:
    """The parts of a configured URL that may be credentials (user info, query), to mask wherever text goes."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    userinfo = parts.netloc.rpartition("@")[0]
    return [part for part in (userinfo, parts.password or "", parts.query) if part]


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    cause = exc.__cause__ or exc.__context__
    while cause is not None and not text:
        text = str(cause).strip()
        cause = cause.__cause__ or cause.__context__
    kind = type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    if "reset" in text.lower():
        return "connection reset"
    return f"{kind}: {text}" if text else kind
