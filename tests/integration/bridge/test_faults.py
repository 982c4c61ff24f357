"""Faults between the proxy and the remote server, each driven by the `mcp` SDK client through `plugboard proxy`.

Every fault must end in one of two ways the user can live with: the call succeeds anyway (restarted backend,
malformed-but-complete SSE), or the call gets a JSON-RPC error with a sentence that says what happened, quickly,
and the session keeps working for the next call. Never a hang, never a dead proxy.
"""

from __future__ import annotations

import time

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from plugboard.core.launch.status import RunState, read_status
from plugboard.core.paths import plugboard_dirs
from plugboard.core.secrets.keyring import set_secret
from servers.http_backend import Backend
from servers.http_proxy_client import initialize_error, through_proxy

# Generous for a loaded 2-core machine; a hang would blow it.
CALL_DEADLINE_S = 30.0
# "Quickly" for an error: the proxy's connect retry window (5 s) plus process start on a loaded machine.
ERROR_WITHIN_S = 12.0


def _text(result: object) -> str:
    return result.content[0].text  # type: ignore[attr-defined]


async def _initialize_error(url: str, *flags: str) -> str:
    with anyio.fail_after(CALL_DEADLINE_S):
        return await initialize_error(url, *flags)


def _log() -> str:
    return plugboard_dirs().connector_log("remote").read_text(encoding="utf-8")


def test_a_backend_restarted_mid_session_is_invisible_to_the_client() -> None:
    async def scenario() -> None:
        with Backend("http_mcp.py") as backend, anyio.fail_after(CALL_DEADLINE_S):
            async with through_proxy(backend.url) as client:
                assert _text(await client.call_tool("add", {"a": 1, "b": 1})) == "2"
                backend.restart()  # same port, every session forgotten
                assert _text(await client.call_tool("add", {"a": 2, "b": 2})) == "4"
                assert _text(await client.call_tool("echo", {"text": "again"})) == "again"

    anyio.run(scenario)
    assert "re-initializing transparently" in _log()
    assert "re-initialized" in _log()


def test_a_backend_that_is_down_gets_a_readable_error_not_a_hang() -> None:
    backend = Backend("http_mcp.py").start()
    url = backend.url
    backend.stop()

    started = time.monotonic()
    message = anyio.run(_initialize_error, url)
    assert time.monotonic() - started < ERROR_WITHIN_S
    assert "unreachable" in message
    assert "connection refused" in message
    assert "plugboard doctor remote" in message


def test_a_401_says_to_store_a_token_and_the_keyring_token_gets_in(secret_service: None) -> None:
    token = "s3cret-bearer-value"

    async def with_token() -> None:
        with anyio.fail_after(CALL_DEADLINE_S):
            async with through_proxy(backend.url, "--bearer-secret", "API_TOKEN") as client:
                assert _text(await client.call_tool("add", {"a": 20, "b": 22})) == "42"

    with Backend("http_mcp.py", "--bearer", token) as backend:
        message = anyio.run(_initialize_error, backend.url)
        assert "401" in message
        assert "--bearer-secret KEY" in message
        set_secret("remote", "API_TOKEN", token)
        anyio.run(with_token)
    log = _log()
    assert token not in log
    assert "Authorization" in log  # the header's name is logged, never its value


def test_a_missing_header_secret_is_explained_on_every_call_and_in_the_status(secret_service: None) -> None:
    with Backend("http_mcp.py") as backend:
        message = anyio.run(_initialize_error, backend.url, "--header", "X-Api-Key: ${secret:NOT_SET}")
    assert "plugboard secret set remote NOT_SET" in message
    record = read_status("remote")
    assert record is not None
    assert record.state is RunState.FAILED
    assert record.reason == "missing secret NOT_SET"


def test_a_slow_answer_becomes_a_timeout_error_and_the_next_call_works() -> None:
    async def scenario() -> None:
        with Backend("http_mcp.py") as backend, anyio.fail_after(CALL_DEADLINE_S):
            async with through_proxy(backend.url, "--timeout", "1") as client:
                started = time.monotonic()
                with pytest.raises(MCPError, match="did not answer within 1 s"):
                    await client.call_tool("slow", {"seconds": 10})
                assert time.monotonic() - started < 5
                assert _text(await client.call_tool("echo", {"text": "fine"})) == "fine"

    anyio.run(scenario)


def test_malformed_sse_around_an_answer_still_delivers_it_and_junk_alone_is_an_error() -> None:
    async def scenario() -> None:
        with Backend("http_faults.py") as backend, anyio.fail_after(CALL_DEADLINE_S):
            async with through_proxy(backend.url) as client:
                assert _text(await client.call_tool("malformed", {})) == "survived"
                with pytest.raises(MCPError, match="ended its answer stream before answering"):
                    await client.call_tool("garbage", {})
                assert _text(await client.call_tool("malformed", {})) == "survived"

    anyio.run(scenario)


def test_a_connection_reset_is_an_error_and_the_next_call_works() -> None:
    async def scenario() -> None:
        with Backend("http_faults.py") as backend, anyio.fail_after(CALL_DEADLINE_S):
            async with through_proxy(backend.url) as client:
                with pytest.raises(MCPError, match="connection to the remote MCP server broke"):
                    await client.call_tool("reset", {})
                assert _text(await client.call_tool("malformed", {})) == "survived"

    anyio.run(scenario)


def test_the_status_record_says_running_then_exited() -> None:
    seen: list[str] = []

    async def scenario() -> None:
        with Backend("http_mcp.py") as backend, anyio.fail_after(CALL_DEADLINE_S):
            async with through_proxy(backend.url) as client:
                await client.list_tools()
                record = read_status("remote")
                assert record is not None
                seen.append(record.state)

    anyio.run(scenario)
    final = read_status("remote")
    assert seen == ["running"]
    assert final is not None
    assert (final.state, final.exit_code) == ("exited", 0)


def test_a_legacy_sse_server_restarted_mid_session_gets_a_new_session_transparently() -> None:
    async def scenario() -> None:
        with Backend("http_mcp.py", "--legacy") as backend, anyio.fail_after(CALL_DEADLINE_S):
            async with through_proxy(backend.url) as client:
                assert _text(await client.call_tool("add", {"a": 1, "b": 1})) == "2"
                backend.restart()
                assert _text(await client.call_tool("add", {"a": 2, "b": 2})) == "4"
                assert _text(await client.call_tool("echo", {"text": "again"})) == "again"

    anyio.run(scenario)
    log = _log()
    assert "legacy SSE transport: re-initialized on a new stream" in log
