"""A hand-written Streamable HTTP endpoint that misbehaves on purpose, for the proxy's fault tests.

`python http_faults.py [--port N] [--endless-notification-streams]` binds 127.0.0.1, prints the port, serves /mcp.
It is written by hand (standard library only) because the faults are below what an SDK server lets a tool do: the
bytes of the SSE stream and the TCP connection itself. It speaks just enough MCP: initialize (session "f1"),
notifications (202), GET (405), tools/list, DELETE. Tools:

- `malformed`: an SSE answer full of junk (lines without colons, bad retry, invalid UTF-8, an event whose data is
  not JSON, comments) around the real answer, which must still reach the client.
- `garbage`: an SSE stream of junk that ends without any answer: the client must get an error, not a hang.
- `reset`: the connection is reset (RST) before any answer.
- `trickle`: a JSON answer whose body arrives one byte a second (`--timeout` must still hold).
- `sleep` (`seconds`): a JSON answer after that long (many at once fill the proxy's connection pool).
- `truncated`: an SSE event whose JSON is cut short (`{"jsonrpc":"2.0","id":7,"result":{"broken"`), then the end.
- `cut`: the answer's SSE event without the blank line that ends it, then the end of the stream.
- `truncated_json`: an `application/json` answer whose JSON is cut short.
- `other_id` / `other_id_json`: an answer carrying another request's id (SSE / JSON), and no answer of its own.
- `huge_sse` / `huge_json` (`size`): an answer with a text of `size` bytes, as one SSE event or as JSON.

`--endless-notification-streams`: every notification is answered 200 with an SSE stream that never ends (a comment
every half second), issue 16's way of stopping a proxy that POSTs notifications on its stdin reader.
"""

from __future__ import annotations

import argparse
import json
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOOL_NAMES = (
    "malformed",
    "garbage",
    "reset",
    "trickle",
    "sleep",
    "truncated",
    "cut",
    "truncated_json",
    "other_id",
    "other_id_json",
    "huge_sse",
    "huge_json",
)
TOOLS = [
    {"name": name, "description": name, "inputSchema": {"type": "object", "properties": {}}} for name in TOOL_NAMES
]
# How often an endless stream sends a keep-alive comment, and how long `trickle` waits between bytes.
TICK_S = 0.5
TRICKLE_S = 1.0
# Set at start: answer notifications with streams that never end.
ENDLESS_NOTIFICATIONS = threading.Event()
# Set when the server stops, so endless streams and sleeps end (the server's threads are daemons anyway).
STOPPING = threading.Event()


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

    def _stream_head(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.close_connection = True  # no Content-Length: the stream ends when the connection does

    def _endless(self) -> None:
        self._stream_head()
        try:
            while not STOPPING.wait(TICK_S):
                self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except OSError:
            return  # the client went away

    def do_POST(self) -> None:
        msg = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        method, rid = msg.get("method"), msg.get("id")
        if rid is None and method is not None and ENDLESS_NOTIFICATIONS.is_set():
            self._endless()
            return
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
        params = msg.get("params", {})
        name, arguments = params.get("name"), params.get("arguments") or {}
        answer = {"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": "survived"}]}}
        if self._misbehave(name, arguments, rid, answer):
            return
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

    def _misbehave(self, name: str, arguments: dict[str, Any], rid: Any, answer: dict[str, Any]) -> bool:
        """The issue-16 faults; False for a tool that is not one of them."""
        body = json.dumps(answer).encode()
        other = dict(answer, id=f"not-{rid}")
        if name == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    if STOPPING.wait(TRICKLE_S):
                        return True
            except OSError:
                pass
            return True
        if name == "sleep":
            STOPPING.wait(float(arguments.get("seconds", 1.0)))
            self._send(200, body)
            return True
        if name in ("truncated", "cut", "other_id", "huge_sse"):
            if name == "truncated":
                event = b'data: {"jsonrpc":"2.0","id":' + json.dumps(rid).encode() + b',"result":{"broken"\n\n'
            elif name == "cut":
                event = b"data: " + body + b"\n"  # no blank line: the event never completes
            elif name == "other_id":
                event = b"data: " + json.dumps(other).encode() + b"\n\n"
            else:
                text = "x" * int(arguments.get("size", 1000))
                big = {"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": text}]}}
                event = b"data: " + json.dumps(big).encode() + b"\n\n"
            self._stream_head()
            try:
                self.wfile.write(event)
                self.wfile.flush()
            except OSError:
                pass
            return True
        if name == "truncated_json":
            self._send(200, body[: len(body) // 2])
            return True
        if name == "other_id_json":
            self._send(200, json.dumps(other).encode())
            return True
        if name == "huge_json":
            text = "x" * int(arguments.get("size", 1000))
            big = {"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": text}]}}
            self._send(200, json.dumps(big).encode())
            return True
        return False


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # 150 requests in flight connect at once; the default backlog (5) would make most of them retry their SYN.
    request_queue_size = 256


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--endless-notification-streams", action="store_true")
    args = parser.parse_args()
    if args.endless_notification_streams:
        ENDLESS_NOTIFICATIONS.set()
    server = Server(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    finally:
        STOPPING.set()


if __name__ == "__main__":
    main()
