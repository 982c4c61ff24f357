"""The Streamable HTTP client side of one MCP endpoint: headers, session id, protocol version, the three verbs.

Owns what every HTTP request to the remote server must carry (FACTS.md §B.2, §B.3, §B.6, §B.7, §B.14) and
nothing about JSON-RPC semantics, which stay in `proxy`:

- POST: `Accept: application/json, text/event-stream`, `Content-Type: application/json`; GET: `Accept:
  text/event-stream` (+ `Last-Event-ID` when resuming); DELETE to end the session.
- `Mcp-Session-Id` once the server gave one; `MCP-Protocol-Version` once a version is known (negotiated by the
  client's own initialize, or named in a request's `_meta` on a handshake-free 2026-07-28 connection); on a
  2026-07-28 request, the routing headers `modern.ModernSession.routing` computes from its body (`Mcp-Method`,
  `Mcp-Name`, `Mcp-Param-*`).
- The user's headers (`--header`, `--bearer-secret`), already resolved from the keyring. Their values are never
  logged.
- With `--oauth`, the sign-in's bearer (`signin.RelaySignIn`) on every request, and one more try after a 401 once
  the sign-in renewed its token or signed in (`_send`).
- `Host`: when the URL is reached through a tunnel's local port, the original authority is kept so a server bound
  to 127.0.0.1 that checks Host (421 otherwise, FACTS.md §B.14) still accepts us.

Requests are sent with `stream=True` so a proxy thread can relay an SSE answer event by event; the caller closes
each response. `content_type(response)` is the one place a response's media type is read. `abort(response)` shuts
the socket of a response another thread is blocked reading (closing it would not wake a blocked `recv` on Linux), so
shutdown stays bounded.

httpx is imported by whoever builds the client (`new_client`, the transports in `transport`), never at
`plugboard proxy --help` time.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from plugboard.core.bridge.headers import SESSION_HEADER, VERSION_HEADER

if TYPE_CHECKING:
    import httpx

    from plugboard.core.bridge.signin import RelaySignIn

# Connecting to a local port or an SSH tunnel's listener takes milliseconds; 10 s covers a slow remote host
# reached directly over the internet without letting a dead one hold a request for long.
CONNECT_TIMEOUT_S = 10.0
# Writing one JSON-RPC message: large tool arguments over a slow uplink, still bounded.
WRITE_TIMEOUT_S = 30.0
# A read with no deadline of its own and no client default: the proxy's default request timeout.
DEFAULT_READ_S = 120.0
# DELETE at exit is a courtesy (FACTS.md §B.12); Claude is waiting for us to quit, so give it little time.
DELETE_TIMEOUT_S = 2.0

POST_ACCEPT = "application/json, text/event-stream"


def new_client(transport: httpx.BaseTransport | None = None, *, read_timeout_s: float) -> httpx.Client:
    """The bridge's HTTP client. Without a transport of the caller's, plain TCP without small-packet stalls
    (`transport.tcp_transport`). Waiting for a pooled connection is bounded too (httpx's default waits forever)."""
    import httpx

    from plugboard.core.bridge.transport import tcp_transport

    timeout = httpx.Timeout(connect=CONNECT_TIMEOUT_S, read=read_timeout_s, write=WRITE_TIMEOUT_S, pool=read_timeout_s)
    # No environment proxies: a corporate HTTP_PROXY must not see (or break) traffic to a loopback tunnel.
    return httpx.Client(
        transport=transport or tcp_transport(), timeout=timeout, trust_env=False, follow_redirects=False
    )


def content_type(response: Any) -> str:
    """A response's media type, lower case, without parameters: "text/event-stream", "application/json", ""."""
    value: str = response.headers.get("content-type", "")
    return value.partition(";")[0].strip().lower()


class HttpSession:
    """One MCP endpoint reached over Streamable HTTP. Thread-safe: proxy threads share it."""

    def __init__(
        self,
        url: str,
        client: httpx.Client,
        headers: dict[str, str] | None = None,
        *,
        host_header: str | None = None,
        auth: RelaySignIn | None = None,
    ) -> None:
        self.url = url
        self.client = client
        self.auth = auth
        self._extra = dict(headers or {})
        if host_header:
            self._extra["Host"] = host_header
        self._lock = threading.Lock()
        # The client's read timeout: how long one read may wait when no request deadline is given (the GET stream).
        read = client.timeout.read
        self.read_s: float = read if read is not None else DEFAULT_READ_S
        self.session_id: str | None = None
        self.protocol_version: str | None = None

    def set_session(self, session_id: str | None, protocol_version: str | None) -> None:
        with self._lock:
            self.session_id = session_id
            if protocol_version:
                self.protocol_version = protocol_version

    def _headers(self, accept: str, *, version: str | None = None, with_session: bool = True) -> dict[str, str]:
        headers = dict(self._extra)
        headers["Accept"] = accept
        with self._lock:
            if self.session_id and with_session:
                headers[SESSION_HEADER] = self.session_id
            chosen = self.protocol_version or version
        if chosen:
            headers[VERSION_HEADER] = chosen
        return headers

    def post(
        self,
        body: bytes,
        *,
        version: str | None = None,
        with_session: bool = True,
        deadline: float | None = None,
        routing: Mapping[str, str] | None = None,
        read_s: float | None = None,
    ) -> tuple[httpx.Response, str | None]:
        """Send one JSON-RPC message; return the open response and the session id it carried.

        `with_session=False` is for a replayed initialize, which must not name the session it replaces. With a
        `deadline` (time.monotonic), no timeout is longer than the time left, waiting for a pooled connection
        included. `routing`: the 2026-07-28 request headers (`Mcp-Method`, `Mcp-Name`, `Mcp-Param-*`, from
        `modern.ModernSession.routing`). `read_s`: how long one read may wait when there is no deadline (a long-lived
        stream)."""
        from plugboard.core.bridge.transport import request_timeout

        headers = self._headers(POST_ACCEPT, version=version, with_session=with_session)
        headers["Content-Type"] = "application/json"
        if routing:
            headers.update(routing)
        timeout = request_timeout(
            deadline, connect_s=CONNECT_TIMEOUT_S, write_s=WRITE_TIMEOUT_S, read_s=read_s or self.read_s
        )
        return self._send("POST", headers, deadline, timeout, body), headers.get(SESSION_HEADER)

    def get_stream(
        self, last_event_id: str | None = None, *, deadline: float | None = None
    ) -> tuple[httpx.Response, str | None]:
        from plugboard.core.bridge.transport import request_timeout

        headers = self._headers("text/event-stream")
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        timeout = request_timeout(deadline, connect_s=CONNECT_TIMEOUT_S, write_s=WRITE_TIMEOUT_S, read_s=self.read_s)
        return self._send("GET", headers, deadline, timeout), headers.get(SESSION_HEADER)

    def _send(
        self, method: str, headers: dict[str, str], deadline: float | None, timeout: Any, body: bytes | None = None
    ) -> httpx.Response:
        """Send with the sign-in's bearer (`--oauth`); after a 401 (or a 403 asking for more scope), let the sign-in
        renew (or sign in) and send once more. The sign-in's refusals are `PlugboardError`s with their sentence."""
        auth = self.auth
        for attempt in (1, 2):
            sent = {**headers, **auth.headers(deadline)} if auth is not None else headers
            request = self.client.build_request(method, self.url, content=body, headers=sent, timeout=timeout)
            response = self.client.send(request, stream=True)
            if auth is None or attempt == 2 or not _asks_for_sign_in(response):
                return response
            challenge = response.headers.get("www-authenticate")
            response.close()
            auth.refused(challenge, deadline)
        raise AssertionError("unreachable")

    def delete(self) -> int | None:
        """End the session on the server; the status code, or None if there was no session or no answer."""
        import httpx

        if not self.session_id:
            return None
        from plugboard.core.errors import PlugboardError

        headers = self._headers(POST_ACCEPT)
        try:
            if self.auth is not None:
                headers.update(self.auth.headers())
            response = self.client.delete(self.url, headers=headers, timeout=DELETE_TIMEOUT_S)
        except (httpx.HTTPError, PlugboardError):
            return None
        return response.status_code


def _asks_for_sign_in(response: Any) -> bool:
    """401, or 403 whose challenge says the token lacks scope (RFC 6750 §3.1): what a sign-in can answer."""
    if response.status_code == 401:
        return True
    return response.status_code == 403 and "insufficient_scope" in response.headers.get("www-authenticate", "")


def abort(response: Any) -> None:
    """Wake a thread blocked reading `response` (shut its socket down), then close it. Never raises."""
    stream = getattr(response, "extensions", {}).get("network_stream")
    if stream is not None:
        with contextlib.suppress(Exception):
            sock = stream.get_extra_info("socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        response.close()
