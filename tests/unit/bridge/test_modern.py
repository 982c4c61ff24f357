"""The relay to a 2026-07-28 server, against scripted HTTP answers (httpx.MockTransport): what goes on the wire for
each thing a handshake-era client does, and what the client gets back. The real SDK servers are in
tests/integration/bridge/test_modern.py; here are the cases a real server does not produce on demand (a server
asking forever, a header mismatch, an invalid tool annotation, an unknown era)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from plugboard.core.bridge.era import Era, EraCache
from plugboard.core.bridge.proxy import Proxy, ProxyState
from unit.bridge.test_proxy import FAST, INIT, INITIALIZED, URL, WAIT_S, Client, Server, line
from waiting import wait_until

MODERN = "2026-07-28"
SERVER_INFO = {"name": "scripted-modern", "version": "9"}
# How often the scripted listen stream writes a keep-alive comment (the SDK server: every 15 s).
KEEPALIVE_S = 0.02
CAPABILITIES = {"tools": {"listChanged": True}, "resources": {"subscribe": True}}

Answer = Callable[[dict[str, Any], httpx.Request], httpx.Response]


def result(msg: dict[str, Any], body: dict[str, Any], status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"jsonrpc": "2.0", "id": msg["id"], "result": body})


def error(msg: dict[str, Any], code: int, message: str, status: int = 400, **data: Any) -> httpx.Response:
    err: dict[str, Any] = {"code": code, "message": message, **({"data": data} if data else {})}
    return httpx.Response(status, json={"jsonrpc": "2.0", "id": msg.get("id"), "error": err})


def modern(answer: Answer | None = None, *, listen: Answer | None = None) -> Callable[[httpx.Request], httpx.Response]:
    """A modern-only server: 405 to GET/DELETE, 400 + -32022 to anything not at 2026-07-28, discover answered."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return httpx.Response(405)
        msg = json.loads(request.content)
        if request.headers.get("mcp-protocol-version") != MODERN:
            return error(msg, -32022, "Unsupported protocol version", supported=[MODERN], requested="?")
        if "id" not in msg:
            return httpx.Response(202)
        if msg["method"] == "server/discover":
            found = {"supportedVersions": [MODERN], "capabilities": CAPABILITIES, "instructions": "Be nice."}
            return result(msg, {**found, "_meta": {"io.modelcontextprotocol/serverInfo": SERVER_INFO}})
        if msg["method"] == "subscriptions/listen":
            return listen(msg, request) if listen else error(msg, -32601, "Method not found", 404)
        if answer is not None:
            return answer(msg, request)
        return result(msg, {"echo": msg["method"]})

    return handler


@pytest.fixture
def make() -> Iterator[Callable[..., tuple[Proxy, Client, Server, list[str]]]]:
    made: list[Proxy] = []

    def factory(
        handler: Callable[[httpx.Request], httpx.Response], era: Era | None = None
    ) -> tuple[Proxy, Client, Server, list[str]]:
        client, server, logs = Client(), Server(handler), []
        if era is not None:
            EraCache().put(URL, era)
        proxy = Proxy(
            "remote", URL, write=client.write, log=logs.append, transport=httpx.MockTransport(server), backoff=FAST
        )
        made.append(proxy)
        return proxy, client, server, logs

    yield factory
    for proxy in made:
        proxy.close()


def posted(server: Server, *, listen: bool = False) -> list[tuple[dict[str, Any], httpx.Headers]]:
    """The POSTed messages in order; the listen stream (opened on its own thread once the client initialized) only
    when asked for."""
    messages = [(json.loads(r.content), r.headers) for r in server.requests if r.method == "POST"]
    return [(m, h) for m, h in messages if listen or m.get("method") != "subscriptions/listen"]


def open_session(proxy: Proxy, client: Client) -> dict[str, Any]:
    proxy.handle_line(line(INIT))
    (answer,) = client.wait_for(1)
    proxy.handle_line(line(INITIALIZED))
    return answer


def test_the_clients_initialize_is_answered_from_server_discover_at_the_clients_own_version(make: Any) -> None:
    proxy, client, server, _logs = make(modern())
    answer = open_session(proxy, client)
    assert answer["id"] == 0
    assert answer["result"]["protocolVersion"] == "2025-06-18"  # what the client asked for
    assert answer["result"]["serverInfo"] == SERVER_INFO
    assert answer["result"]["instructions"] == "Be nice."
    assert answer["result"]["capabilities"]["tools"] == {"listChanged": True}
    assert "logging" in answer["result"]["capabilities"]  # setLevel is answered here
    ((probe, headers),) = posted(server)
    assert probe["method"] == "server/discover"
    assert headers["mcp-protocol-version"] == MODERN and headers["mcp-method"] == "server/discover"
    meta = probe["params"]["_meta"]
    assert meta["io.modelcontextprotocol/protocolVersion"] == MODERN
    assert meta["io.modelcontextprotocol/clientInfo"] == INIT["params"]["clientInfo"]
    assert meta["io.modelcontextprotocol/clientCapabilities"] == INIT["params"]["capabilities"]
    wait_until(lambda: proxy.state is ProxyState.READY, WAIT_S)
    assert proxy.era is Era.MODERN and EraCache().get(URL) is Era.MODERN


def test_requests_carry_the_envelope_and_routing_headers_and_answers_keep_the_clients_id(make: Any) -> None:
    proxy, client, server, _logs = make(modern())
    open_session(proxy, client)
    params = {"name": "météo du jour", "arguments": {"city": "Paris"}, "_meta": {"progressToken": "p1"}}
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}))
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 8, "method": "resources/read", "params": {"uri": "note://a"}}))
    messages = client.wait_for(3)
    assert {m["id"]: m["result"] for m in messages[1:]} == {7: {"echo": "tools/call"}, 8: {"echo": "resources/read"}}
    sent = {m["id"]: (m, h) for m, h in posted(server) if m.get("id") in (7, 8)}
    call, headers = sent[7]
    assert call["params"]["arguments"] == {"city": "Paris"}
    assert call["params"]["_meta"]["progressToken"] == "p1"  # the client's own _meta keys stay
    assert call["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] == MODERN
    assert headers["mcp-method"] == "tools/call"
    assert headers["mcp-name"] == "=?base64?bcOpdMOpbyBkdSBqb3Vy?="  # not header-safe: the spec's sentinel
    assert "mcp-session-id" not in headers
    assert sent[8][1]["mcp-name"] == "note://a"


def test_ping_and_the_log_level_are_answered_here_and_the_level_rides_later_requests(make: Any) -> None:
    proxy, client, server, _logs = make(modern())
    open_session(proxy, client)
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 2, "method": "logging/setLevel", "params": {"level": "info"}}))
    assert [m["result"] for m in client.wait_for(3)[1:]] == [{}, {}]
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}))
    client.wait_for(4)
    methods = [m["method"] for m, _h in posted(server)]
    assert methods == ["server/discover", "tools/list"]  # neither ping nor setLevel reached the server
    assert posted(server)[-1][0]["params"]["_meta"]["io.modelcontextprotocol/logLevel"] == "info"


def test_client_notifications_are_not_posted_and_there_is_no_session_to_delete(make: Any) -> None:
    proxy, client, server, _logs = make(modern())
    open_session(proxy, client)
    proxy.handle_line(line({"jsonrpc": "2.0", "method": "notifications/roots/list_changed"}))
    proxy.handle_line(line({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 99}}))
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
    client.wait_for(2)
    wait_until(lambda: proxy._listener is not None and not proxy._listener.is_alive(), WAIT_S)  # 404: not offered
    proxy.close()
    methods = sorted(m["method"] for m, _h in posted(server, listen=True))
    assert methods == ["server/discover", "subscriptions/listen", "tools/list"]  # listen once: 404 is not retried
    assert [r.method for r in server.requests if r.method != "POST"] == []  # no GET stream, no DELETE


def test_input_requests_become_client_requests_and_the_retry_carries_the_answers_and_the_state(make: Any) -> None:
    def answer(msg: dict[str, Any], _request: httpx.Request) -> httpx.Response:
        params = msg["params"]
        if "inputResponses" not in params:
            asks = {"where": {"method": "roots/list"}, "who": {"method": "elicitation/create", "params": {"m": 1}}}
            return result(msg, {"resultType": "input_required", "inputRequests": asks, "requestState": "st-1"})
        return result(msg, {"content": [{"type": "text", "text": json.dumps(params["inputResponses"])}]})

    proxy, client, server, _logs = make(modern(answer))
    open_session(proxy, client)
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "t"}}))
    asked = client.wait_for(3)[1:]
    assert [m["method"] for m in asked] == ["roots/list", "elicitation/create"]
    assert asked[1]["params"] == {"m": 1} and "params" not in asked[0]
    proxy.handle_line(line({"jsonrpc": "2.0", "id": asked[1]["id"], "result": {"action": "decline"}}))
    proxy.handle_line(line({"jsonrpc": "2.0", "id": asked[0]["id"], "result": {"roots": []}}))
    final = client.wait_for(4)[3]
    assert final["id"] == 5
    assert json.loads(final["result"]["content"][0]["text"]) == {"where": {"roots": []}, "who": {"action": "decline"}}
    first, retry = [m for m, _h in posted(server) if m["method"] == "tools/call"]
    assert retry["id"] != first["id"] == 5  # a retry is a new request
    assert retry["params"]["requestState"] == "st-1" and retry["params"]["name"] == "t"


def test_a_server_that_keeps_asking_for_input_is_stopped_with_a_readable_error(make: Any) -> None:
    def answer(msg: dict[str, Any], _request: httpx.Request) -> httpx.Response:
        state = int(msg["params"].get("requestState", "0"))
        return result(msg, {"resultType": "input_required", "requestState": str(state + 1)})

    proxy, client, server, _logs = make(modern(answer))
    open_session(proxy, client)
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 5, "method": "prompts/get", "params": {"name": "p"}}))
    final = client.wait_for(2)[1]
    assert final["id"] == 5
    assert "still asked for more input after 10 rounds of prompts/get" in final["error"]["message"]
    states = [m["params"].get("requestState") for m, _h in posted(server) if m["method"] == "prompts/get"]
    assert states == [None, *[str(n) for n in range(1, 11)]]  # each retry echoes the state it was given


def test_a_header_mismatch_lists_the_tools_again_and_sends_the_call_with_its_param_header(make: Any) -> None:
    schema = {"type": "object", "properties": {"region": {"type": "string", "x-mcp-header": "Region"}}}

    def answer(msg: dict[str, Any], request: httpx.Request) -> httpx.Response:
        if msg["method"] == "tools/list":
            return result(msg, {"tools": [{"name": "sql", "inputSchema": schema}]})
        if request.headers.get("mcp-param-region") != "eu west":
            return error(msg, -32020, "Mcp-Param-Region header is missing")
        return result(msg, {"content": [{"type": "text", "text": "ok"}]})

    proxy, client, server, logs = make(modern(answer))
    open_session(proxy, client)
    call = {"name": "sql", "arguments": {"region": "eu west"}}
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": call}))
    final = client.wait_for(2)[1]
    assert final == {"jsonrpc": "2.0", "id": 3, "result": {"content": [{"type": "text", "text": "ok"}]}}
    assert [m["method"] for m, _h in posted(server)][1:] == ["tools/call", "tools/list", "tools/call"]
    assert any("listing its tools again" in entry for entry in logs)


def test_a_tool_whose_x_mcp_header_is_invalid_is_left_out_of_the_list(make: Any) -> None:
    bad = {"type": "object", "properties": {"n": {"type": "number", "x-mcp-header": "N"}}}
    good = {"type": "object", "properties": {"s": {"type": "string"}}}

    def answer(msg: dict[str, Any], _request: httpx.Request) -> httpx.Response:
        tools = [{"name": "bad", "inputSchema": bad}, {"name": "good", "inputSchema": good}]
        return result(msg, {"tools": tools, "ttlMs": 0})

    proxy, client, _server, logs = make(modern(answer))
    open_session(proxy, client)
    proxy.handle_line(line({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
    listed = client.wait_for(2)[1]
    assert [t["name"] for t in listed["result"]["tools"]] == ["good"]
    assert listed["result"]["ttlMs"] == 0
    assert any("left out tool 'bad': invalid x-mcp-header" in entry for entry in logs)


def test_a_modern_only_server_we_share_no_version_with_gets_a_readable_error_not_the_legacy_transport(
    make: Any,
) -> None:
    def future(request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return httpx.Response(405)
        return error(json.loads(request.content), -32022, "Unsupported", supported=["2099-01-01"], requested="x")

    proxy, client, server, _logs = make(future)
    proxy.handle_line(line(INIT))
    (answer,) = client.wait_for(1)
    assert "speaks only protocol versions 2099-01-01" in answer["error"]["message"]
    assert [r.method for r in server.requests] == ["POST"]  # no initialize, no legacy GET


def test_an_initialize_refused_with_minus_32022_is_probed_again_even_when_the_cache_says_handshake(
    make: Any,
) -> None:
    proxy, client, server, logs = make(modern(), era=Era.HANDSHAKE)
    answer = open_session(proxy, client)
    assert answer["result"]["serverInfo"] == SERVER_INFO
    assert [m["method"] for m, _h in posted(server)] == ["initialize", "server/discover"]
    assert "GET" not in [r.method for r in server.requests]
    assert EraCache().get(URL) is Era.MODERN
    assert any("initialize refused: the server speaks 2026-07-28" in entry for entry in logs)


def test_a_400_without_a_modern_error_still_tries_the_legacy_transport(make: Any) -> None:
    def legacy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(405 if request.method == "GET" else 400, text="Bad Request")

    proxy, client, server, _logs = make(legacy)
    proxy.handle_line(line(INIT))
    (answer,) = client.wait_for(1)
    assert "the legacy SSE transport failed too" in answer["error"]["message"]
    assert [r.method for r in server.requests][:3] == ["POST", "POST", "GET"]  # discover, initialize, legacy GET
    assert EraCache().get(URL) is None  # nothing worked: nothing to remember


def test_subscribe_reopens_the_listen_stream_with_the_uri_and_changes_reach_the_client(make: Any) -> None:
    hold = threading.Event()
    filters: list[dict[str, Any]] = []

    def listen(msg: dict[str, Any], _request: httpx.Request) -> httpx.Response:
        filters.append(msg["params"]["notifications"])
        events = [
            {"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged", "params": {}},
            {"jsonrpc": "2.0", "method": "notifications/tools/list_changed", "params": {"_meta": {"sid": 1}}},
        ]

        def stream() -> Iterator[bytes]:
            for event in events:
                yield f"event: message\ndata: {json.dumps(event)}\n\n".encode()
            while not hold.wait(KEEPALIVE_S):  # an open stream with keep-alive comments, until the test ends
                yield b": ping\n\n"

        return httpx.Response(200, content=stream(), headers={"content-type": "text/event-stream"})

    proxy, client, _server, _logs = make(modern(listen=listen))
    try:
        open_session(proxy, client)
        assert client.wait_for(2)[1] == {"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}
        assert filters == [{"toolsListChanged": True}]
        subscribe = {"jsonrpc": "2.0", "id": 4, "method": "resources/subscribe", "params": {"uri": "note://a"}}
        proxy.handle_line(line(subscribe))
        wait_until(lambda: len(filters) == 2, WAIT_S)
        assert filters[1] == {"toolsListChanged": True, "resourceSubscriptions": ["note://a"]}
        assert {"jsonrpc": "2.0", "id": 4, "result": {}} in client.messages
    finally:
        hold.set()


def test_a_client_that_speaks_2026_itself_is_relayed_as_it_wrote_with_the_routing_headers(make: Any) -> None:
    proxy, client, server, _logs = make(modern())
    meta = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}
    raw = json.dumps({"jsonrpc": "2.0", "id": "d1", "method": "server/discover", "params": {"_meta": meta}})
    proxy.handle_line(raw.encode() + b"\n")
    (answer,) = client.wait_for(1)
    assert answer["result"]["supportedVersions"] == [MODERN]
    ((sent, headers),) = posted(server)
    assert sent == json.loads(raw)  # untouched: no envelope of ours
    assert headers["mcp-method"] == "server/discover" and headers["mcp-protocol-version"] == MODERN
    assert proxy.era is None  # no initialize: the client itself is in charge of the era
