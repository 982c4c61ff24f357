"""The npm server fixtures start a real server-everything that an MCP SDK client can use, in both modes."""

from __future__ import annotations

from pathlib import Path

import anyio
import psutil
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent

from fixtures import npm as npm_fixtures

# Starting node and the handshake take well under a second here; 30 s absorbs a loaded CI machine.
SESSION_DEADLINE_S = 30.0


async def _tools_and_echo(session: ClientSession) -> tuple[str, set[str], str]:
    init = await session.initialize()
    tools = await session.list_tools()
    result = await session.call_tool("echo", {"message": "plugboard"})
    text = "".join(block.text for block in result.content if isinstance(block, TextContent))
    return init.server_info.name, {tool.name for tool in tools.tools}, text


def test_the_stdio_command_starts_a_server_that_initializes_and_lists_its_tools(
    everything_stdio_command: list[str], tmp_path: Path
) -> None:
    command, *args = everything_stdio_command
    assert Path(command).is_absolute()

    async def main() -> tuple[str, set[str], str]:
        with anyio.fail_after(SESSION_DEADLINE_S), (tmp_path / "stderr.log").open("w") as errlog:
            params = StdioServerParameters(command=command, args=args)
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write) as session,
            ):
                return await _tools_and_echo(session)

    name, tools, echoed = anyio.run(main)

    assert "everything" in name
    assert {"echo", "get-sum"} <= tools
    assert "plugboard" in echoed


def test_the_http_server_answers_on_loopback_and_initializes_and_lists_its_tools(
    everything_http_server: str,
) -> None:
    assert everything_http_server.startswith("http://127.0.0.1:")
    assert everything_http_server.endswith("/mcp")

    async def main() -> tuple[str, set[str], str]:
        with anyio.fail_after(SESSION_DEADLINE_S):
            async with (
                streamable_http_client(everything_http_server) as (read, write),
                ClientSession(read, write) as session,
            ):
                return await _tools_and_echo(session)

    name, tools, echoed = anyio.run(main)

    assert "everything" in name
    assert {"echo", "get-sum"} <= tools
    assert "plugboard" in echoed


def test_the_http_server_listens_on_loopback_only(everything_http_server: str) -> None:
    port = int(everything_http_server.rsplit(":", 1)[1].split("/", 1)[0])
    listening = [
        conn.laddr
        for child in psutil.Process().children(recursive=True)
        for conn in child.net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port
    ]
    assert listening, f"no child process listens on port {port}"
    assert {addr.ip for addr in listening} == {"127.0.0.1"}


def test_a_missing_npm_install_fails_with_the_command_that_fixes_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(npm_fixtures, "EVERYTHING_ENTRY", tmp_path / "absent" / "index.js")

    with pytest.raises(pytest.fail.Exception, match=r"run `bash scripts/setup.sh check`"):
        npm_fixtures._require_everything()
