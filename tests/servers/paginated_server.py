"""A stdio MCP server (plain JSON-RPC, a handshake version the SDK supports) that pages every listing.

`tools/list`, `resources/list` and `prompts/list` return `PAGE_SIZE` items per page with a `nextCursor`, so a
client that does not follow cursors sees only the first page. With `PAGINATED_LOOP=1` the tools listing hands
out the same cursor for ever (a broken server), which a client must notice instead of looping.

Written without the SDK because the SDK's server does not page its listings.

Run: python tests/servers/paginated_server.py
"""

from __future__ import annotations

import json
import os
import sys

PAGE_SIZE = 2
TOOLS = [f"tool-{i}" for i in range(5)]
RESOURCES = [f"memo://item/{i}" for i in range(3)]
PROMPTS = ["only-prompt"]


def _page(items: list[str], cursor: str | None, key: str, field: str, loop: bool) -> dict[str, object]:
    start = int(cursor) if cursor else 0
    chunk = items[start : start + PAGE_SIZE]
    result: dict[str, object] = {key: [_item(field, name) for name in chunk]}
    if loop:
        result["nextCursor"] = "2"
    elif start + PAGE_SIZE < len(items):
        result["nextCursor"] = str(start + PAGE_SIZE)
    return result


def _item(field: str, name: str) -> dict[str, object]:
    if field == "uri":
        return {"uri": name, "name": name}
    if field == "tool":
        return {"name": name, "inputSchema": {"type": "object"}}
    return {"name": name}


def main() -> None:
    loop = os.environ.get("PAGINATED_LOOP") == "1"
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict) or "id" not in message:
            continue
        method = message.get("method")
        cursor = (message.get("params") or {}).get("cursor")
        if method == "initialize":
            result: dict[str, object] = {
                "protocolVersion": "2025-06-18",
                "capabilities": {"tools": {}, "resources": {}, "prompts": {}},
                "serverInfo": {"name": "paginated-server", "version": "1.0.0"},
            }
        elif method == "tools/list":
            result = _page(TOOLS, cursor, "tools", "tool", loop)
        elif method == "resources/list":
            result = _page(RESOURCES, cursor, "resources", "uri", False)
        elif method == "prompts/list":
            result = _page(PROMPTS, cursor, "prompts", "name", False)
        elif method == "ping":
            result = {}
        else:
            error = {"code": -32601, "message": "Method not found"}
            sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "error": error}) + "\n")
            sys.stdout.flush()
            continue
        sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
