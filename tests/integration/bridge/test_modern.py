"""Protocol 2026-07-28 through `plugboard proxy` (a subprocess on stdio), to real SDK 2.3 servers over HTTP.

Servers (tests/servers/modern_mcp.py): the SDK's own dual-era app, and the same app behind `ModernOnly`, which
refuses handshake-era requests as a modern-only server does (HTTP 400 with JSON-RPC error -32022). The client side
speaks the handshake era, as Claude Desktop does: the `mcp` SDK client in `mode="legacy"`, or raw JSON-RPC lines
(`RawProxy`) where a test must see every message the proxy writes. A handshake-era server for the era tests is
tests/servers/http_mcp.py (it refuses 2026-07-28 requests the way handshake-era SDKs do).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.types import CreateMessageResult, ElicitResult, ListRootsResult, Root, TextContent

from plugboard.core.bridge.era import Era, EraCache
from plugboard.core.paths import plugboard_dirs
from servers.http_backend import Backend
from servers.http_proxy_client import through_proxy
from servers.raw_proxy import INITIALIZE, INITIALIZED, RawProxy, call

# A tool call through a local proxy takes milliseconds; 30 s is a wedged relay on a loaded 2-core machine.
DEADLINE_S = 30.0

SERVERS = {"modern-only": ["--modern-only"], "dual-era": [], "modern-only-json": ["--modern-only", "--json"]}


@pytest.fixture(params=list(SERVERS), scope="module")
def modern_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    with Backend("modern_mcp.py", *SERVERS[request.param]) as backend:
        yield request.param, backend.url


def _log() -> str:
    path = plugboard_dirs().connector_log("remote")
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _text(result: Any) -> str:
    return str(result.content[0].text)


async def _elicit(_context: Any, params: Any) -> ElicitResult:
    assert params.message == "What is your name?"
    return ElicitResult(action="accept", content={"name": "Ada"})


async def _sampling(_context: Any, params: Any) -> CreateMessageResult:
    question = params.messages[0].content.text
    return CreateMessageResult(
        role="assistant", content=TextContent(type="text", text=f"answer to {question}"), model="t"
    )


async def _roots(_context: Any) -> ListRootsResult:
    return ListRootsResult(roots=[Root(uri="file:///tmp/plugboard-root", name="test root")])


def test_tools_resources_prompts_progress_and_input_requests_work_against_a_2026_server(
    modern_server: tuple[str, str],
) -> None:
    shape, url = modern_server
    progress: list[tuple[float, float | None]] = []

    async def on_progress(value: float, total: float | None, _message: str | None) -> None:
        progress.append((value, total))

    async def scenario() -> None:
        with anyio.fail_after(DEADLINE_S):
            async with through_proxy(
                url, elicitation_callback=_elicit, sampling_callback=_sampling, list_roots_callback=_roots
            ) as client:
                assert client.session.initialize_result is not None
                assert client.session.initialize_result.server_info.name == "modern-test"
                assert client.session.initialize_result.instructions == "A test server for the 2026-07-28 revision."
                tools = {t.name for t in (await client.list_tools()).tools}
                assert {"add", "ask_name", "region_sql", "grow"} <= tools
                assert _text(await client.call_tool("add", {"a": 2, "b": 3})) == "5"
                resource = await client.read_resource("note://hello")
                assert resource.contents[0].text == "hello from the note"
                prompt = await client.get_prompt("greet", {"name": "Ada"})
                assert "Hello, Ada!" in prompt.messages[0].content.text
                result = await client.call_tool("progress", {"steps": 3}, progress_callback=on_progress)
                assert _text(result) == "3 steps"
                assert _text(await client.call_tool("ask_name", {})) == "Hello, Ada!"
                assert _text(await client.call_tool("ask_llm", {"question": "life"})) == "answer to life"
                assert _text(await client.call_tool("roots", {})) == "file:///tmp/plugboard-root"
                # The server checks Mcp-Param-Region against the argument and says what it received.
                answer = await client.call_tool("region_sql", {"region": "eu-west", "query": "select 1"})
                assert _text(answer) == "eu-west:select 1 (header eu-west)"

    anyio.run(scenario)
    if not shape.endswith("json"):  # JSON answers cannot carry notifications before the answer
        assert progress == [(1, 3), (2, 3), (3, 3)]
    log = _log()
    assert "protocol 2026-07-28 (no session" in log
    assert "legacy" not in log
    assert EraCache().get(url) is Era.MODERN


def _handshake(proxy: RawProxy) -> None:
    """Initialize as Claude does, declaring what it can answer (a server asks only for what was declared)."""
    capabilities = {"elicitation": {}, "sampling": {}, "roots": {"listChanged": True}}
    proxy.send({**INITIALIZE, "params": {**INITIALIZE["params"], "capabilities": capabilities}})
    proxy.answer(0, DEADLINE_S)
    proxy.send(INITIALIZED)


def test_an_input_request_reaches_the_client_as_its_own_request_and_the_answer_goes_back() -> None:
    with Backend("modern_mcp.py", "--modern-only") as backend, RawProxy(backend.url) as proxy:
        _handshake(proxy)
        proxy.send(call(1, "ask_name"))
        assert proxy.wait_for(lambda lines: any(m.get("method") == "elicitation/create" for m in lines), DEADLINE_S)
        asked = next(m for m in proxy.lines if m.get("method") == "elicitation/create")
        assert str(asked["id"]).startswith("plugboard-input-")
        assert asked["params"]["message"] == "What is your name?"
        assert proxy.answers(1) == []  # the input_required result itself never reaches the client
        proxy.send({"jsonrpc": "2.0", "id": asked["id"], "result": {"action": "accept", "content": {"name": "Bo"}}})
        answer = proxy.answer(1, DEADLINE_S)
        assert answer["result"]["content"][0]["text"] == "Hello, Bo!"
        assert proxy.close() == 0


def test_the_client_refusing_an_input_request_ends_the_call_with_its_reason() -> None:
    with Backend("modern_mcp.py", "--modern-only") as backend, RawProxy(backend.url) as proxy:
        _handshake(proxy)
        proxy.send(call(1, "ask_llm", question="q"))
        assert proxy.wait_for(lambda ls: any(m.get("method") == "sampling/createMessage" for m in ls), DEADLINE_S)
        asked = next(m for m in proxy.lines if m.get("method") == "sampling/createMessage")
        proxy.send({"jsonrpc": "2.0", "id": asked["id"], "error": {"code": -1, "message": "User rejected sampling"}})
        answer = proxy.answer(1, DEADLINE_S)
        assert (
            "refused the server's sampling/createMessage request (User rejected sampling)" in answer["error"]["message"]
        )
        proxy.send(call(2, "echo", text="still here"))
        assert proxy.answer(2, DEADLINE_S)["result"]["content"][0]["text"] == "still here"
        assert proxy.close() == 0


def test_list_changes_and_resource_updates_arrive_as_handshake_era_notifications() -> None:
    def has(method: str, **params: Any) -> Any:
        def found(lines: list[Any]) -> bool:
            return any(
                isinstance(m, dict) and m.get("method") == method and m.get("params", {}) == params for m in lines
            )

        return found

    with Backend("modern_mcp.py", "--modern-only") as backend, RawProxy(backend.url) as proxy:
        proxy.handshake()
        proxy.send(INITIALIZED)
        subscribe = {"jsonrpc": "2.0", "id": 1, "method": "resources/subscribe", "params": {"uri": "note://hello"}}
        proxy.send(subscribe)
        assert proxy.answer(1, DEADLINE_S)["result"] == {}
        assert proxy.wait_for(lambda _lines: "resourceSubscriptions" in _log(), DEADLINE_S)
        proxy.send(call(2, "grow", name="sprout"))
        assert proxy.answer(2, DEADLINE_S)["result"]["content"][0]["text"] == "added sprout"
        assert proxy.wait_for(has("notifications/tools/list_changed"), DEADLINE_S)
        proxy.send({"jsonrpc": "2.0", "id": 3, "method": "tools/list"})
        assert "sprout" in {t["name"] for t in proxy.answer(3, DEADLINE_S)["result"]["tools"]}
        proxy.send(call(4, "touch"))
        assert proxy.wait_for(has("notifications/resources/updated", uri="note://hello"), DEADLINE_S)
        notes = [m for m in proxy.lines if isinstance(m, dict) and str(m.get("method", "")).startswith("notif")]
        assert all("_meta" not in m.get("params", {}) for m in notes)  # the subscription id stays upstream
        assert "notifications/subscriptions/acknowledged" not in {m["method"] for m in notes}
        assert proxy.close() == 0


def test_a_cancelled_call_closes_its_stream_and_the_server_stops_working_on_it() -> None:
    with Backend("modern_mcp.py", "--modern-only") as backend, RawProxy(backend.url) as proxy:
        proxy.handshake()
        proxy.send(INITIALIZED)
        proxy.send(call(5, "slow", seconds=60))
        proxy.send(call(6, "echo", text="the call is in flight"))
        proxy.answer(6, DEADLINE_S)
        proxy.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 5}})
        counted = 0
        for request_id in range(100, 400):  # the server notices the closed stream within milliseconds
            proxy.send(call(request_id, "cancelled"))
            counted = int(proxy.answer(request_id, DEADLINE_S)["result"]["content"][0]["text"])
            if counted:
                break
        assert counted == 1
        assert proxy.answers(5) == []  # a cancelled request gets no made-up answer
        assert proxy.close() == 0
    assert "DELETE" not in _log() and "session closed" not in _log()


def _start(url: str) -> list[Any]:
    """One proxy run: initialize, then a tools/call; every line the proxy wrote."""
    with RawProxy(url) as proxy:
        proxy.handshake()
        proxy.send(INITIALIZED, call(1, "echo", text="hi"))
        answer = proxy.answer(1, DEADLINE_S)
        assert answer["result"]["content"][0]["text"] == "hi", answer
        assert proxy.close() == 0
        return proxy.lines


def test_the_era_is_remembered_per_url_and_probed_again_when_the_server_changed_era(tmp_path: Path) -> None:
    modern = Backend("modern_mcp.py", "--modern-only").start()
    port = modern.port
    try:
        _start(modern.url)
        assert EraCache().get(modern.url) is Era.MODERN
    finally:
        modern.stop()
    cache_files = list((plugboard_dirs().state / "eras").iterdir())
    assert len(cache_files) == 1
    assert json.loads(cache_files[0].read_text())["era"] == "modern"

    with Backend("http_mcp.py", port=port) as handshake:  # the same address now runs a handshake-era server
        _start(handshake.url)
        assert EraCache().get(handshake.url) is Era.HANDSHAKE
        assert "opening a handshake-era session (it spoke 2026-07-28 last time)" in _log()

    with Backend("modern_mcp.py", "--modern-only", port=port) as modern_again:
        _start(modern_again.url)  # the cache says handshake: initialize first, refused with -32022, re-probed
        assert EraCache().get(modern_again.url) is Era.MODERN
    log = _log()
    assert "initialize refused: the server speaks 2026-07-28" in log
    assert "legacy" not in log


def test_a_handshake_era_server_is_probed_once_then_reached_directly() -> None:
    with Backend("http_mcp.py") as backend:
        _start(backend.url)
        first = _log()
        assert "server/discover" in first and "opening a handshake-era session" in first
        _start(backend.url)
        assert _log()[len(first) :].count("server/discover") == 0
        assert EraCache().get(backend.url) is Era.HANDSHAKE


def test_the_modern_only_server_refuses_the_handshake_the_way_the_issue_describes() -> None:
    # What made the old proxy try the legacy transport: the server's answer to a handshake-era initialize.
    import httpx

    with Backend("modern_mcp.py", "--modern-only") as backend:
        headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        response = httpx.post(backend.url, content=json.dumps(INITIALIZE), headers=headers, timeout=DEADLINE_S)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == -32022
        assert response.json()["error"]["data"]["supported"] == ["2026-07-28"]
        assert httpx.get(backend.url, timeout=DEADLINE_S).status_code == 405
