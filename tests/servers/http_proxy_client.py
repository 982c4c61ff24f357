"""Drive `plugboard proxy` as Claude Desktop does: a subprocess on stdio, with the `mcp` SDK client on our end.

`through_proxy(url, *flags)` starts the installed `plugboard` console script (the same program Claude's config
entries run) with the test's isolated PLUGBOARD_HOME and the private keyring session's D-Bus address, and yields
a connected `mcp.Client`. The client uses the initialize handshake (`mode="legacy"`), which is what Claude Desktop
speaks.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters

PLUGBOARD = str(Path(sys.executable).parent / "plugboard")
PASSED_ENV = (
    "PLUGBOARD_HOME",
    "PLUGBOARD_CLAUDE_CONFIG",
    "PLUGBOARD_USER_KNOWN_HOSTS",
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_RUNTIME_DIR",
)


def proxy_params(url: str, *flags: str, name: str = "remote") -> StdioServerParameters:
    env = {key: os.environ[key] for key in PASSED_ENV if key in os.environ}
    return StdioServerParameters(command=PLUGBOARD, args=["proxy", name, url, *flags], env=env)


@asynccontextmanager
async def through_proxy(url: str, *flags: str, name: str = "remote", **client: Any) -> AsyncIterator[Client]:
    async with Client(proxy_params(url, *flags, name=name), mode="legacy", **client) as session:
        yield session


def _leaves(group: BaseException) -> list[BaseException]:
    if isinstance(group, BaseExceptionGroup):
        return [leaf for exc in group.exceptions for leaf in _leaves(exc)]
    return [group]


async def initialize_error(url: str, *flags: str, name: str = "remote") -> str:
    """The message of the JSON-RPC error the client got while connecting through the proxy ("" if it connected).

    The SDK raises it from inside its task groups, so it arrives wrapped in exception groups."""
    from mcp.shared.exceptions import MCPError

    messages: list[str] = []
    try:
        async with through_proxy(url, *flags, name=name):
            pass
    except* MCPError as group:
        messages += [str(exc) for exc in _leaves(group)]
    return messages[0] if messages else ""
