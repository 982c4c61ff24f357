"""A small MCP stdio server (written with the `mcp` SDK) that reports on one environment variable.

Tool `env_status(name)`: whether the variable is set and its length, never its value, so a test can prove a
secret arrived without the secret ever crossing the protocol. At start it prints the value of the variable
named by `ENV_SERVER_LEAK` to stderr, as careless servers do, so tests can check the launcher's redaction. It
writes "env_server ready" to stderr once it is about to serve.

Run: python tests/servers/env_server.py
"""

from __future__ import annotations

import os
import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("env-server")


@server.tool()
def env_status(name: str) -> dict[str, object]:
    """Whether environment variable `name` is set, and the length of its value (the value is never returned)."""
    value = os.environ.get(name)
    return {"name": name, "set": value is not None, "length": len(value) if value is not None else 0}


def main() -> None:
    leak = os.environ.get("ENV_SERVER_LEAK")
    if leak:
        print(f"debug: {leak}={os.environ.get(leak, '')}", file=sys.stderr, flush=True)
    print("env_server ready", file=sys.stderr, flush=True)
    server.run("stdio")


if __name__ == "__main__":
    main()
