"""The OAuth side's HTTP: one httpx client, and the three request shapes OAuth uses (GET metadata, POST a form,
POST JSON), each turning "no answer at all" into `SignInUnreachable` and a body that is not a JSON object into
`SignInFailed`.

The client is httpx, the stack the relay uses (the measurement is in the package docstring): no second HTTP stack
in the proxy. It does not read proxy settings from the environment (`trust_env=False`, as the relay): Claude Desktop
starts the proxy with almost no environment, so honouring them only in `plugboard login` would make the two disagree.
Redirects are not followed: a metadata or token endpoint that redirects is a misconfiguration OAuth does not allow
to be papered over (RFC 8414 §3, RFC 6749 §3.2), and a redirect could carry a refresh token to another host.

Nothing here logs: URLs and bodies can hold codes and tokens.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from plugboard.core.bridge.oauth.challenge import host_of
from plugboard.core.bridge.oauth.errors import SignInFailed, SignInUnreachable

if TYPE_CHECKING:
    import httpx

# A sign-in server on the internet answers in well under a second; 10 s to connect covers a slow network without
# leaving a proxy start hanging on a dead host, 30 s to read covers a token endpoint that is slow under load.
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 30.0
# Metadata documents and token answers are a few kB; a megabyte means something else is being served.
MAX_BODY_BYTES = 1_000_000
USER_AGENT = "Plugboard"


def new_client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    import httpx

    if transport is None:
        transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    timeout = httpx.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S, write=READ_TIMEOUT_S, pool=None)
    return httpx.Client(
        transport=transport,
        timeout=timeout,
        trust_env=False,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


class Answer:
    """A response read in full: status, headers, and its JSON object (None when the body is not one)."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.json: dict[str, Any] | None = None
        try:
            parsed = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError):
            parsed = None
        if isinstance(parsed, dict):
            self.json = parsed


def _send(http: httpx.Client, name: str, request: httpx.Request, *, read_body: bool = True) -> Answer:
    import httpx

    try:
        response = http.send(request, stream=True)
        try:
            body = b""
            for chunk in response.iter_bytes() if read_body else ():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise SignInFailed(name, host_of(str(request.url)), "its answer is far too large")
            return Answer(response.status_code, response.headers, body)
        finally:
            response.close()
    except httpx.TransportError as exc:
        raise SignInUnreachable(name, host_of(str(request.url)), _why(exc)) from exc


def _why(exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "refused" in text:
            return "connection refused"
        if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
            return "unknown host name"
        return "cannot connect"
    return "the connection failed"


def get_json(http: httpx.Client, name: str, url: str) -> Answer:
    return _send(http, name, http.build_request("GET", url, headers={"Accept": "application/json"}))


def post_form(
    http: httpx.Client,
    name: str,
    url: str,
    form: Mapping[str, str],
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Answer:
    import httpx

    request = http.build_request(
        "POST",
        url,
        data=dict(form),
        headers={"Accept": "application/json", **dict(headers or {})},
        timeout=httpx.Timeout(timeout) if timeout is not None else httpx.USE_CLIENT_DEFAULT,
    )
    return _send(http, name, request)


def post_json(http: httpx.Client, name: str, url: str, body: Mapping[str, Any]) -> Answer:
    request = http.build_request("POST", url, json=dict(body), headers={"Accept": "application/json"})
    return _send(http, name, request)


def probe_challenge(http: httpx.Client, name: str, url: str) -> tuple[int, str | None]:
    """Ask the MCP endpoint, without credentials, what it wants: (status, its WWW-Authenticate header).

    The request is a JSON-RPC `ping` as any MCP client would POST it: harmless to a server that answers it (it
    starts no session), and answered 401 with the challenge by one that wants a sign-in first. Only the status and
    headers are read: a server that does answer may stream its answer as SSE."""
    body = {"jsonrpc": "2.0", "id": "plugboard-sign-in", "method": "ping"}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    answer = _send(http, name, http.build_request("POST", url, json=body, headers=headers), read_body=False)
    return answer.status, answer.headers.get("www-authenticate")
