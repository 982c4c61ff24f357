"""A healthy MCP stdio server written with the `mcp` SDK: two tools, one resource, one prompt.

Used by supervisor and doctor tests as the "everything works" case; names are fixed so tests can assert them.
Writes "healthy_server ready" to stderr just before serving.

Run: python tests/servers/healthy_server.py
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("healthy-server")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Say it back."""
    return text


@server.resource("memo://greeting")
def greeting() -> str:
    """A fixed greeting."""
    return "hello"


@server.prompt()
def summarise(topic: str) -> str:
    """Ask for a summary."""
    return f"Summarise {topic}."


def main() -> None:
    print("healthy_server ready", file=sys.stderr, flush=True)
    server.run("stdio")


if __name__ == "__main__":
    main()
