"""The relay's protocol behaviour against scripted HTTP answers (httpx.MockTransport): fast, no sockets.

Each test plays a remote server as a function of the request, drives `Proxy.handle_line` like stdin would, and
waits (with a deadline) for what the proxy writes to the client.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from plugboard.core.backoff import Backoff
from plugboard.core.bridge.era import Era, EraCache
from plugboard.core.bridge.proxy import Proxy, ProxyState
from waiting import wait_until

# Everything here is in-process and scripted; 5 s is a hung thread, not a slow answer.
WAIT_S = 5.0
URL = "http://mcp.test/mcp"
FAST = Backoff(first_s=0.01, cap_s=0.02, jitter=0.0)
INIT = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {"sampling": {}}, "clientInfo": {"name": "t"}},
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def line(msg: dict[str, Any]) -> bytes:
    return json.dumps(msg).encode() + b"\n"


def sse(*events: str) -> bytes:
    return "".join(events).encode()


def init_result(request_id: Any) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "result": {"protocolVersion": "2025-06-18", "capabilities": {}, "serverInfo": {"name": "mock"}},
    }


class Client:
    """What the proxy wrote to stdout, one parsed message per line, with waiting."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self._cond = threading.Condition()

    def write(self, data: bytes) -> None:
        assert data.endswith(b"\n") and data.count(b"\n") == 1
        with self._cond:
            self.lines.append(data)
            self._cond.notify_all()

    @property
    def messages(self) -> list[Any]:
        with self._cond:
            return [json.loads(x) for x in self.lines]

    def wait_for(self, count: int) -> list[Any]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.lines) >= count, WAIT_S), self.lines
        return self.messages


class Server:
    """A scripted remote: `handler(request) -> Response`, every request recorded."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self._handler = handler
        self._lock = threading.Lock()
        self._seen = threading.Condition(self._lock)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        with self._lock:
            self.requests.append(request)
            self._seen.notify_all()
        return self._handler(request)

    def wait_for_post(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first POSTed message for which `predicate` holds, waiting for it (one-way messages are sent by the
        proxy's outbox thread, after handle_line returned)."""

        def found() -> dict[str, Any] | None:
            posts = [json.loads(r.content) for r in self.requests if r.method == "POST"]
            return next((p for p in posts if predicate(p)), None)

        with self._seen:
            assert self._seen.wait_for(lambda: found() is not None, WAIT_S), self.requests
            result = found()
        assert result is not None
        return result

    def posts(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.method == "POST"]

    def methods(self) -> list[str]:
        return [r.method for r in self.requests]


@pytest.fixture
def make() -> Iterator[Callable[..., tuple[Proxy, Client, Server]]]:
    """A proxy to a scripted server. The scripted servers here are handshake-era ones the proxy met before (the era
    cache says so, so no `server/discover` probe goes first); `era=None` starts without that memory."""
    made: list[Proxy] = []

    def factory(
        handler: Callable[[httpx.Request], httpx.Response], era: Era | None = Era.HANDSHAKE, **kwargs: Any
    ) -> tuple[Proxy, Client, Server]:
        client, server = Client(), Server(handler)
        logs: list[str] = kwargs.pop("logs", [])
        if era is not None:
            EraCache().put(URL, era)
        proxy = Proxy(
            "remote",
            URL,
            write=client.write,
            log=logs.append,
            transport=httpx.MockTransport(server),
            backoff=FAST,
            **kwargs,
        )
        made.append(proxy)
        return proxy, client, server

    yield factory
    for proxy in made:
        proxy.close()


def standard(
    request: httpx.Request, answer: Callable[[dict[str, Any]], httpx.Response] | None = None
) -> httpx.Response:
    """A stateful JSON server: initialize gives session "s1", notifications get 202, GET gets 405."""
    if request.method == "GET":
        return httpx.Response(405)
    if request.method == "DELETE":
        return httpx.Response(200)
    msg = json.loads(request.content)
    if msg.get("method") == "initialize":
        return httpx.Response(200, json=init_result(msg["id"]), headers={"mcp-session-id": "s1"})
    if "id" not in msg or "method" not in msg:
        return httpx.Response(202)
    if answer is not None:
        return answer(msg)
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": msg["id"], "result": {"echo": msg["method"]}})


def handshake(proxy: Proxy, client: Client) -> None:
    proxy.handle_line(line(INIT))
    client.wait_for(1)
    proxy.handle_line(line(INITIALIZED))


def test_posts_carry_accept_content_type_then_session_and_negotiated_version(make: Any) -> None:
    proxy, client, server = make(standard)
    handshake(proxy, client)
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
    client.wait_for(2)
    first, *later = [r for r in server.requests if r.method == "POST"]
    assert first.headers["accept"] == "application/json, text/event-stream"
    assert first.headers["content-type"] == "application/json"
    assert "mcp-session-id" not in first.headers
    for request in later:
        assert request.headers["mcp-session-id"] == "s1"
        assert request.headers["mcp-protocol-version"] == "2025-06-18"


def test_client_messages_are_posted_byte_for_byte_and_json_answers_relayed_on_one_line(make: Any) -> None:
    pretty = b'{\n  "jsonrpc": "2.0",\n  "id": 1,\n  "result": {"text": "a\\nb"}\n}'
    proxy, client, server = make(
        lambda r: standard(
            r, lambda m: httpx.Response(200, content=pretty, headers={"content-type": "application/json"})
        )
    )
    handshake(proxy, client)
    raw = b'{"jsonrpc":"2.0", "id":1, "method":"tools/call", "params":{"name":"x","arguments":{"k":"\\u00e9"}}}'
    proxy.handle_line(raw + b"\n")
    messages = client.wait_for(2)
    assert server.requests[-1].content == raw
    assert messages[1] == {"jsonrpc": "2.0", "id": 1, "result": {"text": "a\nb"}}


def test_an_sse_answer_relays_notifications_and_server_requests_first_and_skips_priming_events(make: Any) -> None:
    def answer(msg: dict[str, Any]) -> httpx.Response:
        body = sse(
            "id: e1\nretry: 10\ndata:\n\n",
            'id: e2\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}\n\n',
            'id: e3\ndata: {"jsonrpc":"2.0","id":"srv-1","method":"sampling/createMessage","params":{}}\n\n',
            f'id: e4\ndata: {{"jsonrpc":"2.0","id":{msg["id"]},"result":{{}}}}\n\n',
        )
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    proxy, client, _server = make(lambda r: standard(r, answer))
    handshake(proxy, client)
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {}}))
    messages = client.wait_for(4)
    assert [m.get("method", m.get("id")) for m in messages[1:]] == [
        "notifications/progress",
        "sampling/createMessage",
        5,
    ]


def test_a_response_to_a_server_request_is_posted_and_its_202_is_not_an_error(make: Any) -> None:
    logs: list[str] = []
    proxy, client, server = make(standard, logs=logs)
    handshake(proxy, client)
    proxy.handle_line(line({"jsonrpc": "2.0", "id": "srv-1", "result": {"content": {"type": "text", "text": "hi"}}}))
    server.wait_for_post(lambda m: m.get("id") == "srv-1")
    proxy.close()  # the 202 has been handled by then
    assert client.messages == client.messages[:1]
    assert not [x for x in logs if "refused" in x or "could not" in x]


def test_the_standalone_stream_is_opened_after_initialized_and_405_is_not_retried(make: Any) -> None:
    proxy, client, server = make(standard)
    states: list[str] = []
    proxy.subscribe(states.append)
    handshake(proxy, client)
    wait_until(lambda: proxy.state is ProxyState.READY, WAIT_S)
    assert states == [ProxyState.READY] and all(isinstance(state, ProxyState) for state in states)
    assert proxy._listener is not None
    proxy._listener.join(WAIT_S)
    assert server.methods().count("GET") == 1
    get = next(r for r in server.requests if r.method == "GET")
    assert get.headers["accept"] == "text/event-stream"
    assert get.headers["mcp-session-id"] == "s1"


def test_a_404_reinitializes_with_the_clients_own_initialize_then_retries_once(make: Any) -> None:
    sessions = iter(["s1", "s2"])
    live = {"current": ""}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return httpx.Response(405)
        msg = json.loads(request.content)
        if msg.get("method") == "initialize":
            live["current"] = next(sessions)
            return httpx.Response(200, json=init_result(msg["id"]), headers={"mcp-session-id": live["current"]})
        if request.headers.get("mcp-session-id") != live["current"]:
            return httpx.Response(404)
        if "id" not in msg:
            return httpx.Response(202)
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": msg["id"], "result": {"ok": True}})

    proxy, client, server = make(handler)
    states: list[ProxyState] = []
    proxy.subscribe(states.append)
    handshake(proxy, client)
    wait_until(lambda: proxy.state is ProxyState.READY, WAIT_S)
    live["current"] = "restarted"  # the backend restarted: it knows no session
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {}}))
    messages = client.wait_for(2)
    assert messages[1] == {"jsonrpc": "2.0", "id": 7, "result": {"ok": True}}
    posts = server.posts()
    replay = posts[-3]
    assert replay["method"] == "initialize"
    assert replay["params"] == INIT["params"]
    assert replay["id"] != INIT["id"]
    assert posts[-2] == INITIALIZED
    assert posts[-1]["id"] == 7
    assert proxy.reinitializations == 1
    assert len(client.messages) == 2  # the replayed initialize's answer never reaches the client
    assert states == [ProxyState.READY, ProxyState.REINITIALIZING, ProxyState.READY]


def test_a_stream_cut_before_the_answer_is_resumed_with_last_event_id(make: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.headers.get("last-event-id") == "e2":
            body = sse('id: e3\ndata: {"jsonrpc":"2.0","id":3,"result":{"resumed":true}}\n\n')
            return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

        def answer(msg: dict[str, Any]) -> httpx.Response:
            body = sse("id: e1\ndata:\n\n", 'id: e2\ndata: {"jsonrpc":"2.0","method":"notifications/message"}\n\n')
            return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

        return standard(request, answer)

    proxy, client, _server = make(handler)
    handshake(proxy, client)
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {}}))
    messages = client.wait_for(3)
    assert messages[2] == {"jsonrpc": "2.0", "id": 3, "result": {"resumed": True}}


def test_a_server_that_cannot_be_reached_gets_a_readable_error_quickly(make: Any) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    proxy, client, server = make(refuse, connect_retry_window_s=0.1)
    proxy.handle_line(line(INIT))
    (error,) = client.wait_for(1)
    assert error["id"] == 0
    assert "unreachable" in error["error"]["message"]
    assert "connection refused" in error["error"]["message"]
    assert "plugboard doctor remote" in error["error"]["message"]
    assert len(server.requests) >= 2  # it retried within the window before giving up


@pytest.mark.parametrize(
    ("status", "configured", "expected"),
    [
        (401, {"Authorization": "Bearer t0ken-value"}, "plugboard secret set remote"),
        (401, {}, "add --bearer-secret KEY"),
        (503, {}, "failed (HTTP 503: down for maintenance)"),
    ],
)
def test_http_failures_become_errors_that_say_what_to_do(
    make: Any, status: int, configured: dict[str, str], expected: str
) -> None:
    logs: list[str] = []
    proxy, client, server = make(
        lambda r: httpx.Response(status, text="down for maintenance"),
        headers=configured,
        secret_values=["t0ken-value"],
        logs=logs,
    )
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
    (error,) = client.wait_for(1)
    assert expected in error["error"]["message"]
    if configured:
        assert server.requests[0].headers["authorization"] == "Bearer t0ken-value"
    assert not any("t0ken-value" in x for x in logs)


def test_the_servers_own_json_rpc_error_is_passed_through(make: Any) -> None:
    own = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "bad params"}}
    proxy, client, _server = make(lambda r: httpx.Response(400, json=own))
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 1, "method": "tools/call"}))
    assert client.wait_for(1) == [own]


def test_a_request_the_client_cancelled_gets_no_made_up_error(make: Any) -> None:
    release = threading.Event()

    def answer(msg: dict[str, Any]) -> httpx.Response:
        assert release.wait(WAIT_S)
        return httpx.Response(200, content=b"id: e1\ndata:\n\n", headers={"content-type": "text/event-stream"})

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(404 if request.headers.get("last-event-id") else 405)
        return standard(request, answer)

    proxy, client, server = make(handler)
    handshake(proxy, client)
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {}}))
    server.wait_for_post(lambda m: m.get("id") == 9)
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9}}
    # The cancellation is sent while the request is in flight; the server will end the stream without answering.
    proxy.handle_line(line(cancel))
    server.wait_for_post(lambda m: m == cancel)
    release.set()
    wait_until(lambda: not proxy._workers, WAIT_S)  # the request is over (before close, which silences every error)
    assert len(client.messages) == 1


def test_a_request_without_an_answer_and_a_202_gets_an_error(make: Any) -> None:
    proxy, client, _server = make(lambda r: httpx.Response(202))
    proxy.handle_line(line({"jsonrpc": "2.0", "id": "a", "method": "ping"}))
    (error,) = client.wait_for(1)
    assert error["id"] == "a"
    assert "sent no answer" in error["error"]["message"]


def test_invalid_json_from_the_client_gets_a_parse_error_and_nothing_is_sent(make: Any) -> None:
    proxy, client, server = make(standard)
    proxy.handle_line(b"{not json\n")
    (error,) = client.wait_for(1)
    assert error["error"]["code"] == -32700
    assert server.requests == []


def test_close_deletes_the_session_once_and_is_safe_to_call_twice(make: Any) -> None:
    proxy, client, server = make(standard)
    handshake(proxy, client)
    proxy.close()
    proxy.close()
    deletes = [r for r in server.requests if r.method == "DELETE"]
    assert len(deletes) == 1
    assert deletes[0].headers["mcp-session-id"] == "s1"
    assert proxy.state is ProxyState.CLOSED


def test_a_refusal_answers_every_request_with_the_reason_and_contacts_no_server(make: Any) -> None:
    proxy, client, server = make(standard, refusal="missing secret API_KEY in the keyring")
    proxy.handle_line(line(INIT))
    (error,) = client.wait_for(1)
    assert "missing secret API_KEY" in error["error"]["message"]
    assert server.requests == []


def test_closing_while_the_standalone_stream_is_being_opened_ends_the_listener_quietly(make: Any) -> None:
    opening = threading.Event()
    holder: dict[str, Proxy] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            opening.set()
            # Answer only once close() has begun: the listener then reads a stream close() already shut.
            assert holder["proxy"]._stop.wait(WAIT_S)
            return httpx.Response(200, content=iter([b"data: {}\n\n"]), headers={"content-type": "text/event-stream"})
        return standard(request)

    proxy, client, _server = make(handler)
    holder["proxy"] = proxy
    handshake(proxy, client)
    assert opening.wait(WAIT_S)
    errors: list[BaseException] = []
    previous = threading.excepthook
    threading.excepthook = lambda hook_args: errors.append(hook_args.exc_value)  # type: ignore[assignment]
    try:
        proxy.close()
    finally:
        threading.excepthook = previous
    assert errors == []
    assert proxy._listener is not None and not proxy._listener.is_alive()


def test_the_standalone_stream_reconnects_with_the_last_event_id_and_relays_each_event_once(make: Any) -> None:
    gets: list[str | None] = []
    third = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            gets.append(request.headers.get("last-event-id"))
            n = len(gets)
            if n >= 3:
                third.set()
                return httpx.Response(405)
            body = f'retry: 5\nid: g{n}\ndata: {{"jsonrpc":"2.0","method":"notifications/tools/list_changed","params":{{"n":{n}}}}}\n\n'
            return httpx.Response(200, content=body.encode(), headers={"content-type": "text/event-stream"})
        return standard(request)

    proxy, client, _server = make(handler)
    handshake(proxy, client)
    assert third.wait(WAIT_S)
    messages = client.wait_for(3)
    assert gets == [None, "g1", "g2"]
    assert [m["params"]["n"] for m in messages[1:]] == [1, 2]


NGINX_502 = b"""<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx/1.24.0</center>
</body>
</html>
"""


@pytest.mark.parametrize(
    ("body", "ctype", "expected"),
    [
        (NGINX_502, "text/html", "(HTTP 502: 502 Bad Gateway)"),
        (
            b"<!DOCTYPE html><html><head><style>p{color:red}</style></head><body><h1>Oops</h1>\n<p>Upstream"
            b"   timed\n out &amp; gave up</p><script>var x = 1;</script></body></html>",
            "text/html; charset=utf-8",
            "(HTTP 502: Oops Upstream timed out & gave up)",
        ),
    ],
)
def test_an_html_error_page_becomes_its_title_or_text_on_one_short_line(
    make: Any, body: bytes, ctype: str, expected: str
) -> None:
    logs: list[str] = []
    proxy, client, _server = make(
        lambda r: httpx.Response(502, content=body, headers={"content-type": ctype}), logs=logs
    )
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
    (error,) = client.wait_for(1)
    message = error["error"]["message"]
    assert expected in message
    for text in (message, *logs):
        assert "<" not in text and "\n" not in text and "nginx" not in text


def test_a_long_error_body_is_cut_to_one_readable_line() -> None:
    from plugboard.core.bridge.explain import ERROR_DETAIL_CHARS, error_detail

    detail = error_detail(b"word " * 500)
    assert len(detail) == ERROR_DETAIL_CHARS and detail.endswith("\u2026") and "\n" not in detail
    assert error_detail(b"<html><body>" + b"<p>x</p>\n" * 300 + b"</body></html>").count("x") < 70


def test_an_unreachable_server_is_named_without_the_credentials_in_its_address() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    client, logs = Client(), list[str]()
    proxy = Proxy(
        "remote",
        "http://ana:pw-Vx93kq@mcp.test:8080/mcp?api_key=k3y-Q7r",
        write=client.write,
        log=logs.append,
        transport=httpx.MockTransport(refuse),
        backoff=FAST,
        connect_retry_window_s=0.05,
    )
    try:
        proxy.handle_line(line(INIT))
        (error,) = client.wait_for(1)
    finally:
        proxy.close()
    assert "cannot connect to http://mcp.test:8080/mcp (connection refused)" in error["error"]["message"]
    for text in (error["error"]["message"], *logs):
        assert "pw-Vx93kq" not in text and "k3y-Q7r" not in text and "ana" not in text


class _FakeResponse:
    def __init__(self) -> None:
        self.closed = threading.Event()

    def close(self) -> None:
        self.closed.set()


def test_a_response_registered_while_close_runs_is_aborted_too(make: Any) -> None:
    # close() copies the open responses and sets the stop flag; a worker registering a response between the two
    # must still be woken. The stop flag's set() is where the worker gets its chance.
    proxy, _client, _server = make(standard)
    late = _FakeResponse()
    worker = threading.Thread(target=proxy._track, args=(late,), name="late-worker")
    # How long set() lets the worker run first: it finishes in microseconds unless close() holds the lock.
    worker_chance_s = 0.2

    class HookedEvent(threading.Event):
        def set(self) -> None:
            if not worker.is_alive() and worker.ident is None:
                worker.start()
                worker.join(worker_chance_s)
            super().set()

    proxy._stop = HookedEvent()
    proxy.close()
    worker.join(WAIT_S)
    assert not worker.is_alive()
    assert late.closed.is_set(), "a response registered during close() was never aborted"
