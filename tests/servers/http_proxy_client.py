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
PASSED_ENV = ("PLUGBOARD_HOME", "PLUGBOARD_CLAUDE_CONFIG", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")


def proxy_params(url: str, *flags: str, name: str = "remote") -> StdioServerParameters:
    env = {key: os.environ[key] for key in PASSED_ENV if key in os.environ}
    return StdioServerParameters(command=PLUGBOARD, args=["proxy", name, url, *flags], env=env)


@asynccontextmanager
async def through_proxy(url: str, *flags: str, name: str = "remote", **client: Any) -> AsyncIterator[Client]:
    async with Client(proxy_params(url, *flags, name=name), mode="legacy", **client) as session:
        yield session
