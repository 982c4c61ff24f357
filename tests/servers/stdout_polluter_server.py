"""An MCP server (the `mcp` SDK) that prints a banner to stdout before serving, as careless servers do.

stdout is the protocol channel, so Claude Desktop reports "Unexpected token ... is not valid JSON" (FACTS.md §A 6).
The banner is `BANNER`; tests assert doctor shows exactly that line. After the banner the server works normally.

Run: python tests/servers/stdout_polluter_server.py
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer

BANNER = "Starting polluter server v1.2 on stdio..."

server = MCPServer("polluter-server")


@server.tool()
def noop() -> str:
    """Does nothing."""
    return "ok"


def main() -> None:
    print(BANNER, flush=True)  # the bug under test: a log line on stdout
    print("polluter ready", file=sys.stderr, flush=True)
    server.run("stdio")


if __name__ == "__main__":
    main()
