"""A hand-written Streamable HTTP endpoint that misbehaves on purpose, for the proxy's fault tests.

`python http_faults.py [--port N]` binds 127.0.0.1, prints the port, serves /mcp. It is written by hand (standard
library only) because the faults are below what an SDK server lets a tool do: the bytes of the SSE stream and the
TCP connection itself. It speaks just enough MCP: initialize (session "f1"), notifications (202), GET (405),
tools/list, DELETE. Tools:

- `malformed`: an SSE answer full of junk (lines without colons, bad retry, invalid UTF-8, an event whose data is
  not JSON, comments) around the real answer, which must still reach the client.
- `garbage`: an SSE stream of junk that ends without any answer: the client must get an error, not a hang.
- `reset`: the connection is reset (RST) before any answer.
"""

from __future__ import annotations

import argparse
import json
import socket
import struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOOLS = [
    {"name": name, "description": name, "inputSchema": {"type": "object", "properties": {}}}
    for name in ("malformed", "garbage", "reset")
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self, status: int, body: bytes = b"", ctype: str = "application/json", extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._send(405)

    def do_DELETE(self) -> None:
        self._send(200)

    def do_POST(self) -> None:
        msg = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        method, rid = msg.get("method"), msg.get("id")
        if rid is None or method is None:
            self._send(202)
            return
        if method == "initialize":
            result = {
                "protocolVersion": msg["params"]["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "faults", "version": "1"},
            }
            self._send(
                200,
                json.dumps({"jsonrpc": "2.0", "id": rid, "result": result}).encode(),
                extra={"Mcp-Session-Id": "f1"},
            )
            return
        if method == "tools/list":
            self._send(200, json.dumps({"jsonrpc": "2.0", "id": rid, "result": {"tools": TOOLS}}).encode())
            return
        name = msg.get("params", {}).get("name")
        answer = {"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": "survived"}]}}
        if name == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        junk = (
            b": comment\nthis line has no colon\nretry: soon\ndata: {not json\n\n\xff\xfe\xfd\n"
            b"event: weird\ndata: ignored-event-type\n\nid\n\n"
        )
        if name == "malformed":
            body = junk + b"id: 1\ndata: " + json.dumps(answer).encode() + b"\n\n" + junk
        else:
            body = junk * 3
        self._send(200, body, ctype="text/event-stream")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
