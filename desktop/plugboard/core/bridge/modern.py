"""Protocol 2026-07-28 upstream while the client (Claude Desktop) stays on the handshake era on stdio.

`ModernSession` is the layer `Proxy` uses instead of `exchange.HandshakeRecovery` once `era` says the server is
modern (FACTS.md §D.1–4; spec 2026-07-28 changelog, `basic/versioning`, `transports/streamable-http`,
`patterns/mrtr`). There is no session to recover: every request stands alone. What it translates, one owner per
difference:

- **No handshake.** Claude's `initialize` is answered here, from the server's `server/discover` result (its
  capabilities, `serverInfo` stamp and instructions), at the handshake version Claude asked for; Claude's
  `notifications/initialized` goes nowhere. `ping` and `logging/setLevel` (removed in 2026-07-28) are answered here
  too; the level Claude set rides every later request as `_meta` `io.modelcontextprotocol/logLevel`.
- **Per-request envelope.** Every request Claude sends is re-serialised with `_meta` carrying the protocol version,
  Claude's own client info and capabilities (taken from its `initialize`), and POSTed with `MCP-Protocol-Version`,
  `Mcp-Method`, `Mcp-Name` (base64-sentinel encoded when not header-safe) and, for `tools/call`, the `Mcp-Param-*`
  headers the tool's `x-mcp-header` annotations declare. Those are learned from every `tools/list` answer that
  passes through; a tool whose annotation is invalid is left out of the list Claude sees (the spec's MUST). A
  `HeaderMismatch` (-32020) on `tools/call` re-lists the tools once and sends the call again, as the spec advises.
- **Multi round-trip requests.** An `input_required` result to `tools/call`, `prompts/get` or `resources/read` is
  never shown to Claude: each embedded input request (`elicitation/create`, `sampling/createMessage`,
  `roots/list`) becomes a server→client request Claude understands (ids `plugboard-input-N`), Claude's answers
  are collected and the original request is sent again with a new id, `inputResponses` and the `requestState`
  echoed byte for byte; the final answer reaches Claude under its own id. At most `MAX_INPUT_ROUNDS` rounds (the
  SDK's figure), then a readable error; a refusal by Claude ends the call with its reason; every wait is bounded
  by the request's deadline and ends when Claude cancels the request.
- **Change notifications.** `subscriptions/listen` replaces the GET stream: one long-lived POST whose answer
  stream carries `notifications/tools|prompts|resources/list_changed` and `notifications/resources/updated`;
  they reach Claude as the handshake-era notifications (the subscription id stripped). Claude's
  `resources/subscribe` / `unsubscribe` are answered here and re-open the stream with the new filter. A stream
  that drops is opened again with backoff, and Claude is told the lists changed (no replay in 2026-07-28: what
  happened meanwhile is unknown, so Claude refetches). 4xx on listen means "not offered": not retried.
- **Cancellation.** Closing a request's stream is its cancellation: `Proxy` closes the connection of a request
  Claude cancels (`transport.Cancel`); `notifications/cancelled` is never POSTed. No session id, no DELETE.

A client that speaks 2026-07-28 itself on stdio (its requests name a modern version in `_meta`) is relayed as it
wrote them (`relay`), with only the routing headers added.

The SDK's `mcp.shared.inbound` owns the `x-mcp-header` rules; it is imported only when a tool list carries an
annotation (importing the SDK costs ~0.5 s, which every proxy start would otherwise pay). The header-value codec
for `Mcp-Name` is three lines and is compared with the SDK's by a unit test.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from plugboard.core.backoff import Backoff
from plugboard.core.bridge import era as eras
from plugboard.core.bridge.exchange import ANSWER_TAIL_S, AnswerReader, Call, ConnectRetry, Track
from plugboard.core.bridge.explain import ERROR_BODY_BYTES, Unanswered
from plugboard.core.bridge.jsonrpc import Answer, answer_key, parse, request_key

if TYPE_CHECKING:
    from plugboard.core.bridge.transport import Cancel

PROTOCOL_VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
CLIENT_INFO_KEY = "io.modelcontextprotocol/clientInfo"
CLIENT_CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities"
LOG_LEVEL_KEY = "io.modelcontextprotocol/logLevel"
SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo"
SUBSCRIPTION_ID_KEY = "io.modelcontextprotocol/subscriptionId"

# Method → the param mirrored into `Mcp-Name` (spec, "Standard Request Headers").
NAME_PARAMS = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
# The requests a server may answer with `input_required` (spec, `patterns/mrtr`, "Supported Requests").
INPUT_REQUIRED_METHODS = frozenset({"tools/call", "prompts/get", "resources/read"})
# What an `inputRequests` entry may ask of the client.
INPUT_METHODS = frozenset({"elicitation/create", "sampling/createMessage", "roots/list"})
LIST_CHANGED = (
    ("toolsListChanged", "tools", "notifications/tools/list_changed"),
    ("promptsListChanged", "prompts", "notifications/prompts/list_changed"),
    ("resourcesListChanged", "resources", "notifications/resources/list_changed"),
)

# The SDK's client gives up after 10 rounds (`DEFAULT_INPUT_REQUIRED_MAX_ROUNDS`, the TypeScript SDK's figure too): a
# server still asking after that is looping.
MAX_INPUT_ROUNDS = 10
# A result carrying only `requestState` asks to be retried; the SDK waits 50 ms, doubling to 250 ms, so a server
# that is still working is not hammered.
STATE_ONLY_FIRST_S = 0.05
STATE_ONLY_CAP_S = 0.25
# A handshake-era server may sit on a request it does not understand; the SDK's probe waits 10 s, then falls back to
# initialize.
DISCOVER_TIMEOUT_S = 10.0
# Re-listing the tools after a HeaderMismatch walks at most this many pages (a paginator that never ends is a bug).
TOOL_PAGES_MAX = 100
# The listen stream is quiet between changes; the SDK server writes a comment every 15 s. A stream silent for five
# minutes is presumed dead (no TCP keep-alive here) and opened again.
LISTEN_IDLE_S = 300.0

_HEADER_SAFE = re.compile(r"[\x20-\x7E]*")
_SENTINEL = re.compile(r"=\?base64\?.*\?=")

Emit = Callable[[bytes], None]
Deliver = Callable[[Call, bytes], None]
Logger = Callable[[str], None]


def header_value(value: str) -> str:
    """A header-safe form of `value`: itself when plain printable ASCII without edge spaces, else the spec's
    `=?base64?…?=` sentinel (also for a value that looks like the sentinel). Mirrors `mcp.shared.inbound`."""
    if _HEADER_SAFE.fullmatch(value) and value == value.strip() and not _SENTINEL.fullmatch(value):
        return value
    return f"=?base64?{base64.b64encode(value.encode('utf-8')).decode('ascii')}?="


def dumps(msg: Any) -> bytes:
    return json.dumps(msg, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class _Waiter:
    """One answer Claude owes us (to an input request we sent it)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.msg: dict[str, Any] | None = None


class ModernSession:
    """The 2026-07-28 side of one proxy. Thread-safe: request threads, the stdin thread and the listener share it."""

    def __init__(
        self,
        name: str,
        upstream: ConnectRetry,
        reader: AnswerReader,
        *,
        emit: Emit,
        deliver: Deliver,
        log: Logger,
        track: Track,
        stop: threading.Event,
        backoff: Backoff,
    ) -> None:
        self.name = name
        self.upstream = upstream
        self.reader = reader
        self.version = eras.LATEST_MODERN_VERSION
        self._emit = emit
        self._deliver = deliver
        self._log = log
        self._track = track
        self._stop = stop
        self._backoff = backoff
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._client_info: dict[str, Any] = {"name": "plugboard", "version": "0"}
        self._capabilities: dict[str, Any] = {}
        self._client_version = eras.LATEST_HANDSHAKE_VERSION
        self.discovered: dict[str, Any] = {}
        self._log_level: str | None = None
        self._param_maps: dict[str, dict[tuple[str, ...], str]] = {}
        self._waiters: dict[str, _Waiter] = {}
        self._subscriptions: list[str] = []  # resource URIs, in the order Claude subscribed
        self._listen_wanted = threading.Event()
        self._listen_cancel: Cancel | None = None
        self.listens = 0  # listen streams opened (tests, the log)

    # -- the client's identity ---------------------------------------------------------------------------------

    def remember_client(self, initialize: dict[str, Any]) -> None:
        """Claude's initialize: the info, capabilities and version every stamped request will carry."""
        params = initialize.get("params")
        if not isinstance(params, dict):
            return
        with self._lock:
            if isinstance(params.get("clientInfo"), dict):
                self._client_info = params["clientInfo"]
            if isinstance(params.get("capabilities"), dict):
                self._capabilities = params["capabilities"]
            if params.get("protocolVersion") in eras.HANDSHAKE_VERSIONS:
                self._client_version = params["protocolVersion"]

    def _envelope(self, version: str | None = None) -> dict[str, Any]:
        with self._lock:
            meta = {
                PROTOCOL_VERSION_KEY: version or self.version,
                CLIENT_INFO_KEY: self._client_info,
                CLIENT_CAPABILITIES_KEY: self._capabilities,
            }
            if self._log_level is not None:
                meta[LOG_LEVEL_KEY] = self._log_level
        return meta

    def _stamped(self, msg: dict[str, Any], request_id: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        params = msg.get("params")
        params = dict(params) if isinstance(params, dict) else {}
        meta = params.get("_meta")
        params["_meta"] = {**(meta if isinstance(meta, dict) else {}), **self._envelope()}
        if extra:
            params.update(extra)
        return {"jsonrpc": "2.0", "id": request_id, "method": msg.get("method"), "params": params}

    def routing(self, msg: dict[str, Any]) -> dict[str, str]:
        """The 2026-07-28 request headers for `msg`: Mcp-Method, Mcp-Name, Mcp-Param-*."""
        method = msg.get("method")
        headers = {"Mcp-Method": str(method)}
        params = msg.get("params")
        params = params if isinstance(params, dict) else {}
        key = NAME_PARAMS.get(str(method))
        if key is not None and isinstance(params.get(key), str):
            headers["Mcp-Name"] = header_value(params[key])
        if method == "tools/call":
            with self._lock:
                mapping = self._param_maps.get(str(params.get("name")))
            arguments = params.get("arguments")
            if mapping and isinstance(arguments, dict):
                from mcp.shared.inbound import mcp_param_headers

                headers.update(mcp_param_headers(mapping, arguments))
        return headers

    # -- sending one message and reading its answer ----------------------------------------------------------

    @contextlib.contextmanager
    def _posted(self, msg: dict[str, Any], deadline: float, *, version: str | None = None) -> Iterator[Answer | None]:
        """POST `msg` and yield its answer (None: cancelled, and the stream ended without one). On leaving, the
        rest of an SSE answer is read (briefly) so the connection can be reused."""
        from plugboard.core.bridge.transport import deadline_scope

        raw = dumps(msg)
        call = Call(
            raw=raw,
            msg=msg,
            key=request_key(msg.get("id")),
            method=str(msg.get("method")),
            deadline=deadline,
            version=version or self.version,
        )
        response, _sid = self.upstream.post(
            raw, deadline=deadline, version=call.version, with_session=False, routing=self.routing(msg)
        )
        with self._track(response):
            answer = self.reader.read(response, call)
            yield answer
            if answer is not None:
                with deadline_scope(min(deadline, time.monotonic() + ANSWER_TAIL_S)):
                    self.reader.finish(answer, call)

    def _new_id(self, what: str) -> str:
        return f"plugboard-{what}-{next(self._ids)}"

    # -- server/discover -------------------------------------------------------------------------------------

    def discover(self, deadline: float) -> eras.Verdict:
        """Probe the server's era (see `era`); `Unanswered` only when the server cannot be reached."""
        from plugboard.core.bridge.transport import deadline_scope

        asked, retried = eras.LATEST_MODERN_VERSION, False
        while True:
            probe_deadline = min(deadline, time.monotonic() + DISCOVER_TIMEOUT_S)
            msg = {
                "jsonrpc": "2.0",
                "id": self._new_id("discover"),
                "method": "server/discover",
                "params": {"_meta": self._envelope(asked)},
            }
            with deadline_scope(probe_deadline):
                verdict = eras.judge_discover(self._probe(msg, asked, probe_deadline), asked=asked, retried=retried)
            if isinstance(verdict, eras.Retry):
                asked, retried = verdict.version, True
                continue
            if isinstance(verdict, eras.Adopt):
                self.version = verdict.version
                self.discovered = verdict.result
            return verdict

    def _probe(self, msg: dict[str, Any], asked: str, deadline: float) -> Any:
        """The parsed answer to a discover probe, or None when there is none to judge (an HTTP error without a
        JSON-RPC body, a body that is not JSON, a probe that timed out). `Unanswered` when the server cannot be
        reached or refuses our credentials."""
        import httpx

        from plugboard.core.bridge.http_session import content_type

        raw = dumps(msg)
        response, _sid = self.upstream.post(
            raw, deadline=deadline, version=asked, with_session=False, routing=self.routing(msg)
        )
        with self._track(response):
            if response.status_code >= 400:
                body = b""
                with contextlib.suppress(httpx.HTTPError, httpx.StreamError):
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) >= ERROR_BODY_BYTES:
                            break
                if response.status_code in (401, 403):
                    # Not an era verdict: initialize would meet the same refusal. (The OAuth seam: a client that
                    # signs in and retries belongs in the HTTP layer both paths share.)
                    raise Unanswered(self.reader.explain.http_error(response.status_code, body, content_type(response)))
                found = parse(body)
                if isinstance(found, dict) and "error" in found:
                    return found
                self._log(f"server/discover: HTTP {response.status_code} without a JSON-RPC error")
                return None
            call = Call(raw=raw, msg=msg, key=request_key(msg["id"]), method="server/discover", deadline=deadline)
            try:
                answer = self.reader.read(response, call)
            except Unanswered as exc:
                self._log(f"server/discover: {exc}")
                return None
            return answer.msg if answer is not None else None

    def initialize_answer(self, call: Call) -> bytes:
        """Claude's initialize, answered from the discover result at the handshake version Claude asked for."""
        found = self.discovered
        capabilities = dict(found.get("capabilities") or {})
        # logging/setLevel is answered here and becomes the per-request log level: Claude may set it.
        capabilities.setdefault("logging", {})
        meta = found.get("_meta")
        info = meta.get(SERVER_INFO_KEY) if isinstance(meta, dict) else None
        if not isinstance(info, dict) or not info.get("name"):
            info = {"name": self.name, "version": ""}
        with self._lock:
            version = self._client_version
        result: dict[str, Any] = {"protocolVersion": version, "capabilities": capabilities, "serverInfo": info}
        if isinstance(found.get("instructions"), str):
            result["instructions"] = found["instructions"]
        self._log(
            f"initialized: server {info.get('name', '?')}, protocol {self.version} (no session; the client's "
            f"initialize is answered from server/discover at {version})"
        )
        return dumps({"jsonrpc": "2.0", "id": call.msg.get("id"), "result": result})

    # -- one client request ----------------------------------------------------------------------------------

    def exchange(self, call: Call) -> None:
        """Answer one request of a handshake-era client: here, or by the server through the translation above."""
        method = call.method
        params = call.msg.get("params")
        params = params if isinstance(params, dict) else {}
        if method == "initialize":
            self.remember_client(call.msg)
            self._deliver(call, self.initialize_answer(call))
            return
        if method == "ping":
            self._reply(call, {})
            return
        if method == "logging/setLevel":
            with self._lock:
                self._log_level = params.get("level") if isinstance(params.get("level"), str) else None
            self._reply(call, {})
            return
        if method in ("resources/subscribe", "resources/unsubscribe"):
            self._subscribe(params.get("uri"), method == "resources/subscribe")
            self._reply(call, {})
            return
        self._rounds(call)

    def relay(self, call: Call) -> None:
        """A request from a client that speaks 2026-07-28 itself: sent as written, with the routing headers."""
        with self._posted(call.msg, call.deadline, version=call.version) as answer:
            if answer is not None:
                self._deliver(call, self._learned(answer, call.msg))

    def _reply(self, call: Call, result: dict[str, Any]) -> None:
        self._deliver(call, dumps({"jsonrpc": "2.0", "id": call.msg.get("id"), "result": result}))

    def _rounds(self, call: Call) -> None:
        own_id = call.msg.get("id")
        posted_id: Any = own_id
        extra: dict[str, Any] = {}
        rounds = 0
        relisted = False
        state_only_wait = STATE_ONLY_FIRST_S
        while True:
            msg = self._stamped(call.msg, posted_id, extra)
            with self._posted(msg, call.deadline) as answer:
                if answer is None:
                    return  # the client cancelled the request
                result = answer.msg.get("result")
                asks = (
                    call.method in INPUT_REQUIRED_METHODS
                    and isinstance(result, dict)
                    and result.get("resultType") == "input_required"
                )
                mismatch = _error_code(answer.msg) == eras.HEADER_MISMATCH and call.method == "tools/call"
                if not asks and not (mismatch and not relisted):
                    payload = self._learned(answer, msg)
                    if posted_id != own_id:
                        payload = dumps({**answer.msg, "id": own_id})
                    self._deliver(call, payload)
                    return
            if not asks:
                relisted = True
                self._log("tools/call: the server wants other Mcp-Param headers; listing its tools again")
                self._relist_tools(call.deadline)
                posted_id = self._new_id("retry")
                continue
            assert isinstance(result, dict)
            rounds += 1
            if rounds > MAX_INPUT_ROUNDS:
                raise Unanswered(
                    f"the remote server still asked for more input after {MAX_INPUT_ROUNDS} rounds of {call.method}; "
                    "the call was stopped (the server may be looping)"
                )
            requests = result.get("inputRequests")
            extra = {}
            if isinstance(requests, dict) and requests:
                state_only_wait = STATE_ONLY_FIRST_S
                extra["inputResponses"] = self._ask_client(requests, call)
            else:
                self._stop.wait(state_only_wait)  # only requestState: the server asks to be asked again
                state_only_wait = min(state_only_wait * 2, STATE_ONLY_CAP_S)
            if "requestState" in result:
                extra["requestState"] = result["requestState"]
            posted_id = self._new_id("retry")

    # -- multi round-trip: asking the client ------------------------------------------------------------------

    def _ask_client(self, requests: dict[str, Any], call: Call) -> dict[str, Any]:
        """Send each input request to the client as a server→client request; its answers, keyed as asked."""
        from plugboard.core.bridge.transport import current_cancel

        asked: list[tuple[str, str, str, _Waiter]] = []
        for key, request in requests.items():
            method = request.get("method") if isinstance(request, dict) else None
            if method not in INPUT_METHODS:
                raise Unanswered(f"the remote server asked for input of an unknown kind ({str(method)[:60]})")
            assert isinstance(request, dict)
            request_id = self._new_id("input")
            waiter = _Waiter()
            with self._lock:
                self._waiters[request_id] = waiter
            asked.append((key, str(method), request_id, waiter))
            out: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
            if "params" in request:
                out["params"] = request["params"]
            self._emit(dumps(out))
        cancel = current_cancel()

        def wake_all() -> None:
            for *_, waiter in asked:
                waiter.done.set()

        if cancel is not None:
            cancel.on_cancel(wake_all)
        responses: dict[str, Any] = {}
        try:
            for key, method, _request_id, waiter in asked:
                waiter.done.wait(max(0.0, call.deadline - time.monotonic()))
                if cancel is not None and cancel.cancelled:
                    raise Unanswered("the client cancelled the request")
                if waiter.msg is None:
                    raise Unanswered(f"the client did not answer the server's {method} request in time")
                if "error" in waiter.msg:
                    error = waiter.msg["error"]
                    why = error.get("message") if isinstance(error, dict) else None
                    raise Unanswered(f"the client refused the server's {method} request ({str(why)[:120]})")
                responses[key] = waiter.msg.get("result")
        finally:
            with self._lock:
                for _key, _method, request_id, _waiter in asked:
                    self._waiters.pop(request_id, None)
        return responses

    def client_answered(self, msg: dict[str, Any]) -> bool:
        """An answer from the client: True when it answers an input request of ours (and was taken)."""
        request_id = msg.get("id")
        if not isinstance(request_id, str):
            return False
        with self._lock:
            waiter = self._waiters.get(request_id)
        if waiter is None:
            return False
        waiter.msg = msg
        waiter.done.set()
        return True

    # -- tools: Mcp-Param headers and invalid definitions -----------------------------------------------------

    def _learned(self, answer: Answer, sent: dict[str, Any]) -> bytes:
        """The answer to relay; a `tools/list` answer also teaches the tools' `Mcp-Param-*` headers (and loses the
        tools whose `x-mcp-header` annotations are invalid)."""
        if sent.get("method") != "tools/list":
            return answer.payload
        result = answer.msg.get("result")
        tools = result.get("tools") if isinstance(result, dict) else None
        if not isinstance(result, dict) or not isinstance(tools, list):
            return answer.payload
        params = sent.get("params")
        complete = not (isinstance(params, dict) and params.get("cursor")) and not result.get("nextCursor")
        kept, maps = self._tool_headers(tools)
        with self._lock:
            if complete:
                self._param_maps = maps
            else:
                self._param_maps.update(maps)
        if len(kept) == len(tools):
            return answer.payload
        return dumps({**answer.msg, "result": {**result, "tools": kept}})

    def _tool_headers(self, tools: list[Any]) -> tuple[list[Any], dict[str, dict[tuple[str, ...], str]]]:
        if "x-mcp-header" not in json.dumps([t.get("inputSchema") for t in tools if isinstance(t, dict)]):
            return tools, {}
        from mcp.shared.inbound import find_invalid_x_mcp_header, x_mcp_header_map

        kept: list[Any] = []
        maps: dict[str, dict[tuple[str, ...], str]] = {}
        for tool in tools:
            if not isinstance(tool, dict):
                continue
            schema = tool.get("inputSchema")
            reason = find_invalid_x_mcp_header(schema)
            if reason is not None:
                self._log(f"left out tool {str(tool.get('name'))[:80]!r}: invalid x-mcp-header ({reason})")
                continue
            mapping = x_mcp_header_map(schema)
            if mapping and isinstance(tool.get("name"), str):
                maps[tool["name"]] = mapping
            kept.append(tool)
        return kept, maps

    def _relist_tools(self, deadline: float) -> None:
        cursor: Any = None
        maps: dict[str, dict[tuple[str, ...], str]] = {}
        for _page in range(TOOL_PAGES_MAX):
            params: dict[str, Any] = {} if cursor is None else {"cursor": cursor}
            msg = self._stamped({"method": "tools/list", "params": params}, self._new_id("tools"))
            with self._posted(msg, deadline) as answer:
                result = answer.msg.get("result") if answer is not None else None
            if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
                return
            maps.update(self._tool_headers(result["tools"])[1])
            cursor = result.get("nextCursor")
            if not isinstance(cursor, str):
                break
        with self._lock:
            self._param_maps = maps

    # -- subscriptions/listen ---------------------------------------------------------------------------------

    def _subscribe(self, uri: Any, subscribe: bool) -> None:
        if not isinstance(uri, str):
            return
        with self._lock:
            if subscribe and uri not in self._subscriptions:
                self._subscriptions.append(uri)
            elif not subscribe and uri in self._subscriptions:
                self._subscriptions.remove(uri)
            else:
                return
            current = self._listen_cancel
        self._listen_wanted.set()
        if current is not None:
            current.cancel()  # the listener opens a new stream with the new filter

    def _filter(self) -> dict[str, Any]:
        capabilities = self.discovered.get("capabilities")
        capabilities = capabilities if isinstance(capabilities, dict) else {}
        wanted: dict[str, Any] = {}
        for flag, kind, _method in LIST_CHANGED:
            section = capabilities.get(kind)
            if isinstance(section, dict) and section.get("listChanged"):
                wanted[flag] = True
        with self._lock:
            if self._subscriptions:
                wanted["resourceSubscriptions"] = list(self._subscriptions)
        return wanted

    def listen(self) -> None:
        """The listener thread: keep one `subscriptions/listen` stream open while there is something to hear."""
        from plugboard.core.bridge.transport import cancel_scope

        attempt = 0
        heard_before = False
        while not self._stop.is_set():
            wanted = self._filter()
            if not wanted:
                self._listen_wanted.clear()
                if not self._filter():  # a subscription may have arrived meanwhile
                    self._listen_wanted.wait()
                continue
            outcome = "lost"
            with cancel_scope() as cancel:
                with self._lock:
                    self._listen_cancel = cancel
                try:
                    outcome = self._listen_once(wanted, refetch=heard_before)
                except Unanswered as exc:
                    if not self._stop.is_set() and not cancel.cancelled:
                        self._log(f"subscriptions/listen: {exc}")
                finally:
                    with self._lock:
                        self._listen_cancel = None
            if outcome == "refused" or self._stop.is_set():
                return
            if cancel.cancelled:
                continue  # the filter changed: a new stream at once
            heard_before = heard_before or outcome in ("heard", "ended")
            attempt = 1 if outcome in ("heard", "ended") else attempt + 1
            self._stop.wait(self._backoff.delay(attempt))

    def _listen_once(self, wanted: dict[str, Any], *, refetch: bool) -> str:
        """One listen stream: "refused" (not offered), "heard" (acknowledged, then dropped), "ended" (closed by the
        server), "lost" (dropped before it was acknowledged)."""
        import httpx

        from plugboard.core.bridge import sse
        from plugboard.core.bridge.http_session import content_type
        from plugboard.core.bridge.transport import current_cancel

        msg = {
            "jsonrpc": "2.0",
            "id": self._new_id("listen"),
            "method": "subscriptions/listen",
            "params": {"notifications": wanted, "_meta": self._envelope()},
        }
        response, _sid = self.upstream.post(
            dumps(msg), deadline=None, version=self.version, with_session=False, routing=self.routing(msg),
            read_s=LISTEN_IDLE_S,
        )  # fmt: skip
        cancel = current_cancel()
        with self._track(response):
            status = response.status_code
            if 400 <= status < 500 or (status == 200 and content_type(response) != "text/event-stream"):
                self._log(f"the server offers no subscriptions/listen stream (HTTP {status}); not asking again")
                return "refused"
            if status != 200:
                return "lost"
            self.listens += 1
            acknowledged = False
            parser = sse.SSEParser()
            with contextlib.suppress(httpx.HTTPError, httpx.StreamError):
                for chunk in response.iter_bytes():
                    if cancel is not None and cancel.cancelled:
                        break  # the filter changed (the socket is shut too; this also ends a stream of comments)
                    for event in parser.feed(chunk):
                        if event.event != "message":
                            continue
                        note = parse(event.payload)
                        if answer_key(note) == request_key(msg["id"]):
                            return "ended"
                        if not isinstance(note, dict):
                            continue
                        if note.get("method") == "notifications/subscriptions/acknowledged":
                            acknowledged = True
                            self._log(f"listening for changes ({', '.join(sorted(wanted))})")
                            if refetch:  # events may have been missed while the stream was down
                                self._told_changed(wanted)
                            continue
                        self._relay_change(note)
            return "heard" if acknowledged else "lost"

    def _relay_change(self, note: dict[str, Any]) -> None:
        method = note.get("method")
        if method in {m for _f, _k, m in LIST_CHANGED}:
            self._emit(dumps({"jsonrpc": "2.0", "method": method}))
        elif method == "notifications/resources/updated":
            params = note.get("params")
            params = {k: v for k, v in params.items() if k != "_meta"} if isinstance(params, dict) else {}
            self._emit(dumps({"jsonrpc": "2.0", "method": method, "params": params}))

    def _told_changed(self, wanted: dict[str, Any]) -> None:
        for flag, _kind, method in LIST_CHANGED:
            if wanted.get(flag):
                self._emit(dumps({"jsonrpc": "2.0", "method": method}))
        for uri in wanted.get("resourceSubscriptions", []):
            self._emit(dumps({"jsonrpc": "2.0", "method": "notifications/resources/updated", "params": {"uri": uri}}))

    def close(self) -> None:
        """Wake every wait (the listener, input requests); the proxy closes the connections."""
        self._listen_wanted.set()
        with self._lock:
            waiters = list(self._waiters.values())
            current = self._listen_cancel
        for waiter in waiters:
            waiter.done.set()
        if current is not None:
            current.cancel()


def _error_code(msg: dict[str, Any]) -> Any:
    error = msg.get("error")
    return error.get("code") if isinstance(error, dict) else None
