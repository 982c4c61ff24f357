"""An MCP SDK server over Streamable HTTP (or the legacy HTTP+SSE transport), run as its own process for proxy tests.

`python http_mcp.py [--port N] [--stateless] [--json] [--legacy] [--bearer TOKEN] [--nodelay] [--resumable]
[--dual-era]` binds
127.0.0.1 (port 0 = free port) *before* printing the port on stdout, so a client connecting right after reading it
waits in the backlog. `--port N` lets a test restart "the same backend" on the same port (a restarted server has
lost every session: exactly what the proxy's re-initialisation must hide).

Tools: add, echo, big (a payload of N bytes), slow (answers late), progress (progress notifications), shout
(logging notifications), ask_llm (a sampling request to the client), interrupted (with `--resumable`, an in-memory
event store: closes its own SSE answer stream midway, so the answer only arrives through a GET with
Last-Event-ID). A resource `note://hello`, a prompt `greet`. `--bearer TOKEN` answers 401 to any request without
`Authorization: Bearer TOKEN`; `--nodelay` sets TCP_NODELAY on every connection.

A handshake-era server (protocol ≤ 2025-11-25), which is what the tests using this server are about: the SDK 2.3
app also serves 2026-07-28 on the same endpoint, so `HandshakeOnly` answers a request naming a 2026-07-28
`MCP-Protocol-Version` the way the handshake-era SDKs do (1.x: HTTP 400, a JSON-RPC error -32000 "Bad Request:
Unsupported protocol version", id null — not the -32022 a modern server sends). `--dual-era` leaves the SDK's own
routing in place (both eras; see also `modern_mcp.py`).
"""

from __future__ import annotations

import argparse
import json
import socket
from typing import Any

import anyio
import uvicorn
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.streamable_http import EventMessage, EventStore
from mcp.types import SamplingMessage, TextContent
from starlette.types import ASGIApp, Receive, Scope, Send

HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")


def build() -> MCPServer:
    app = MCPServer("proxy-test")

    @app.tool()
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @app.tool()
    def echo(text: str) -> str:
        """Return the text."""
        return text

    @app.tool()
    def big(size: int) -> str:
        """A string of `size` characters."""
        return "x" * size

    @app.tool()
    async def slow(seconds: float) -> str:
        """Answer after `seconds`."""
        # A server that takes its time: wait on an event nobody sets, bounded by `seconds`.
        with anyio.move_on_after(seconds):
            await anyio.Event().wait()
        return "done"

    @app.tool()
    async def progress(steps: int, ctx: Context) -> str:
        """Report `steps` progress notifications."""
        for i in range(steps):
            await ctx.report_progress(i + 1, steps, f"step {i + 1}")
        return f"{steps} steps"

    @app.tool()
    async def shout(text: str, ctx: Context) -> str:
        """Send a logging notification."""
        await ctx.info(f"shouting {text}")
        return text.upper()

    @app.tool()
    async def ask_llm(question: str, ctx: Context) -> str:
        """Ask the client's model (a sampling request)."""
        result = await ctx.session.create_message(
            [SamplingMessage(role="user", content=TextContent(type="text", text=question))], max_tokens=50
        )
        content = result.content
        return content.text if isinstance(content, TextContent) else str(content)

    @app.tool()
    async def interrupted(ctx: Context) -> str:
        """Send a notification, close this answer's SSE stream (with --resumable), then answer: the client must
        resume with Last-Event-ID to get the answer."""
        await ctx.report_progress(1, 2, "before the cut")
        await ctx.close_sse_stream()
        with anyio.move_on_after(0.2):  # let the client notice the cut before the answer is stored
            await anyio.Event().wait()
        await ctx.report_progress(2, 2, "after the cut")
        return "resumed"

    @app.resource("note://hello")
    def hello() -> str:
        """A note."""
        return "hello from the note"

    @app.prompt()
    def greet(name: str) -> str:
        """Greet someone."""
        return f"Hello, {name}!"

    return app


class MemoryEventStore(EventStore):
    """Every event of every stream, in memory, for Last-Event-ID replay (the SDK ships only the interface)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any]] = []  # (event id, stream id, message or None)

    async def store_event(self, stream_id: str, message: Any) -> str:
        event_id = str(len(self.events) + 1)
        self.events.append((event_id, stream_id, message))
        return event_id

    async def replay_events_after(self, last_event_id: str, send_callback: Any) -> str | None:
        found = [i for i, (eid, _, _) in enumerate(self.events) if eid == last_event_id]
        if not found:
            return None
        stream_id = self.events[found[0]][1]
        for event_id, sid, message in self.events[found[0] + 1 :]:
            if sid == stream_id and message is not None:
                await send_callback(EventMessage(message, event_id))
        return stream_id


class HandshakeOnly:
    """Refuse 2026-07-28 requests as a handshake-era SDK does; everything else goes to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        version = dict(scope.get("headers", [])).get(b"mcp-protocol-version", b"").decode("latin-1")
        if scope["type"] != "http" or not version or version in HANDSHAKE_VERSIONS:
            await self.app(scope, receive, send)
            return
        more = True
        while more:  # read the request through before answering
            more = bool((await receive()).get("more_body"))
        supported = ", ".join(reversed(HANDSHAKE_VERSIONS))
        error = {"code": -32000, "message": f"Bad Request: Unsupported protocol version: {version} ({supported})"}
        body = json.dumps({"jsonrpc": "2.0", "error": error, "id": None}).encode()
        await send({"type": "http.response.start", "status": 400, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


class _Bearer:
    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != self.expected:
            await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"invalid token"})
            return
        await self.app(scope, receive, send)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stateless", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--legacy", action="store_true")
    parser.add_argument("--bearer")
    parser.add_argument("--resumable", action="store_true", help="event store + retry, for Last-Event-ID tests")
    parser.add_argument("--nodelay", action="store_true", help="TCP_NODELAY on every connection (Linux inherits it)")
    parser.add_argument("--dual-era", action="store_true", help="serve 2026-07-28 requests too (the SDK's default)")
    args = parser.parse_args()
    server = build()
    if args.legacy:
        app: ASGIApp = server.sse_app(sse_path="/mcp")
    else:
        resumable: dict[str, Any] = {"event_store": MemoryEventStore(), "retry_interval": 100} if args.resumable else {}
        app = server.streamable_http_app(json_response=args.json, stateless_http=args.stateless, **resumable)
    if not args.dual_era:
        app = HandshakeOnly(app)
    if args.bearer:
        app = _Bearer(app, args.bearer)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.nodelay:
        # Stock uvicorn on a passed-in socket leaves Nagle on (measured: a ~40 ms stall per answer against
        # clients that delay ACKs); accepted sockets inherit the listener's TCP_NODELAY on Linux.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
