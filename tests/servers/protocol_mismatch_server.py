"""A stdio JSON-RPC server that answers initialize with a protocol version no client supports.

Written without the SDK on purpose: the SDK would negotiate correctly. Version is `SERVER_PROTOCOL_VERSION`.
Answers ping; exits when stdin closes.

Run: python tests/servers/protocol_mismatch_server.py
"""

from __future__ import annotations

import json
import sys

SERVER_PROTOCOL_VERSION = "1999-01-01"


def main() -> None:
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict) or "id" not in message:
            continue
        if message.get("method") == "initialize":
            result = {
                "protocolVersion": SERVER_PROTOCOL_VERSION,
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "ancient-server", "version": "0.0.1"},
            }
        else:
            result = {}
        sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
