"""An MCP server (the `mcp` SDK) that takes a while before it serves: the "slow start" case.

The delay comes from the environment variable `SLOW_START_S` (seconds, default 2). Before the delay it reads
nothing, so an initialize sent early waits in the pipe and is answered once the server is up, as with a server
that downloads its package first (`npx -y`).

Run: SLOW_START_S=2 python tests/servers/slow_start_server.py
"""

from __future__ import annotations

import os
import sys
import threading

from mcp.server.mcpserver import MCPServer

server = MCPServer("slow-server")


@server.tool()
def hello() -> str:
    """Greets."""
    return "hello"


def main() -> None:
    delay = float(os.environ.get("SLOW_START_S", "2"))
    print(f"slow_start: warming up for {delay:g} s", file=sys.stderr, flush=True)
    # The slowness is the behaviour under test, not a test waiting.
    threading.Event().wait(delay)
    print("slow_start ready", file=sys.stderr, flush=True)
    server.run("stdio")


if __name__ == "__main__":
    main()
