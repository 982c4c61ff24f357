"""An MCP server (the `mcp` SDK) that lists its tools whatever key it is given, but refuses a wrong one when a tool
is called — as a search API with a fake key does (issue 13: "a Brave connector with a fake key works: 8 tools").

The key comes from `KEYED_API_KEY` (the launcher hands it over from the keyring); `GOOD_KEY` is the one it accepts.
`whoami` is the harmless read-only call a catalog item names as its credential check.

Run: python tests/servers/keyed_server.py
"""

from __future__ import annotations

import os
import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

GOOD_KEY = "good-key-1234567890"
KEY_VARIABLE = "KEYED_API_KEY"

server = MCPServer("keyed-server")


def _require_key() -> None:
    if os.environ.get(KEY_VARIABLE) != GOOD_KEY:
        raise ToolError("401 Unauthorized: invalid API key")


@server.tool()
def whoami() -> str:
    """Who the key belongs to (read-only)."""
    _require_key()
    return "you are the test account"


@server.tool()
def search(query: str) -> str:
    """Search for something."""
    _require_key()
    return f"results for {query}"


def main() -> None:
    print("keyed_server ready", file=sys.stderr, flush=True)
    server.run("stdio")


if __name__ == "__main__":
    main()
