"""An MCP SDK 2.3 server that speaks protocol 2026-07-28, dual-era or modern-only, run as its own process.

`python modern_mcp.py [--port N] [--modern-only] [--json] [--nodelay]` binds 127.0.0.1 (port 0 = a free port) before
printing the port, like `http_mcp.py`, so `http_backend.Backend` starts it.

- Without `--modern-only`: the SDK's own Streamable HTTP app, which serves both eras on one endpoint (it routes on
  the `MCP-Protocol-Version` header, FACTS.md §D.4): a handshake-era client initializes as ever, a 2026-07-28 client
  sends stateless requests with `_meta`.
- With `--modern-only`: the same app behind `ModernOnly`, a small ASGI wrapper that refuses handshake-era traffic the
  way a server speaking only 2026-07-28 does (spec `basic/versioning` and `transports/streamable-http`, "Backward
  Compatibility"): a POST without a modern `MCP-Protocol-Version` (an `initialize`, anything with a session) gets
  HTTP 400 with JSON-RPC error -32022 naming the supported versions; GET and DELETE get 405.

Tools: add, echo, slow (answers late; counts the calls cancelled under it), cancelled (that count), progress, shout,
ask_name (an elicitation: an `input_required` result on 2026-07-28, a server→client request on the handshake era),
ask_llm (sampling), roots (roots/list), region_sql (a parameter mirrored into `Mcp-Param-Region` by `x-mcp-header`;
answers with the header value the server saw), grow (adds a tool and announces the changed list), touch (announces
an update of `note://hello`). A resource `note://hello`, a prompt `greet`.
"""

from __future__ import annotations

import argparse
import json
import socket
from typing import Annotated, Any

import anyio
import uvicorn
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, ListRoots, Resolve, Sample
from mcp.types import CreateMessageResult, ListRootsResult, SamplingMessage, TextContent
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MODERN_VERSIONS = ("2026-07-28",)
UNSUPPORTED_PROTOCOL_VERSION = -32022

cancelled_calls = 0


class Name(BaseModel):
    name: str


def ask_for_name() -> Elicit[Name]:
    return Elicit("What is your name?", Name)


def ask_the_model(question: str) -> Sample:
    return Sample([SamplingMessage(role="user", content=TextContent(type="text", text=question))], max_tokens=50)


def ask_for_roots() -> ListRoots:
    return ListRoots()


def build() -> MCPServer:
    app = MCPServer("modern-test", instructions="A test server for the 2026-07-28 revision.")

    @app.tool()
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @app.tool()
    def echo(text: str) -> str:
        """Return the text."""
        return text

    @app.tool()
    async def slow(seconds: float) -> str:
        """Answer after `seconds`; a call cancelled meanwhile is counted."""
        global cancelled_calls
        try:
            with anyio.move_on_after(seconds):
                await anyio.Event().wait()
        except anyio.get_cancelled_exc_class():
            cancelled_calls += 1
            raise
        return "done"

    @app.tool()
    def cancelled() -> int:
        """How many `slow` calls were cancelled by their client."""
        return cancelled_calls

    @app.tool()
    async def progress(steps: int, ctx: Context) -> str:
        """Report `steps` progress notifications."""
        for i in range(steps):
            await ctx.report_progress(i + 1, steps, f"step {i + 1}")
        return f"{steps} steps"

    @app.tool()
    async def shout(text: str, ctx: Context) -> str:
        """Send a logging notification (on 2026-07-28, only when the request asked for a log level)."""
        await ctx.info(f"shouting {text}")
        return text.upper()

    @app.tool()
    def ask_name(who: Annotated[Name, Resolve(ask_for_name)]) -> str:
        """Ask the user for their name (elicitation)."""
        return f"Hello, {who.name}!"

    @app.tool()
    def ask_llm(question: str, answer: Annotated[CreateMessageResult, Resolve(ask_the_model)]) -> str:
        """Ask the client's model (sampling)."""
        content = answer.content
        return content.text if isinstance(content, TextContent) else str(content)

    @app.tool()
    def roots(found: Annotated[ListRootsResult, Resolve(ask_for_roots)]) -> str:
        """The client's roots (roots/list)."""
        return ", ".join(str(root.uri) for root in found.roots)

    @app.tool()
    def region_sql(
        region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})], query: str, ctx: Context
    ) -> str:
        """Run `query` in `region`; answers with the Mcp-Param-Region header the server received."""
        seen = (ctx.headers or {}).get("mcp-param-region")
        return f"{region}:{query} (header {seen})"

    @app.tool()
    async def grow(name: str, ctx: Context) -> str:
        """Add a tool called `name` and announce the changed tool list."""

        def grown() -> str:
            return f"I am {name}"

        app.add_tool(grown, name=name, description="A tool added at run time.")
        await ctx.notify_tools_changed()
        return f"added {name}"

    @app.tool()
    async def touch(ctx: Context) -> str:
        """Announce that note://hello changed."""
        await ctx.notify_resource_updated("note://hello")
        return "touched"

    @app.resource("note://hello")
    def hello() -> str:
        """A note."""
        return "hello from the note"

    @app.prompt()
    def greet(name: str) -> str:
        """Greet someone."""
        return f"Hello, {name}!"

    return app


class ModernOnly:
    """Refuse what a server speaking only 2026-07-28 cannot serve; pass everything else to the SDK's app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        requested = headers.get(b"mcp-protocol-version", b"").decode("latin-1")
        if requested in MODERN_VERSIONS:
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await _respond(send, 405, b"", [(b"allow", b"POST")])
            return
        body = await _body(receive)
        try:
            msg: Any = json.loads(body)
        except ValueError:
            msg = None
        request_id = msg.get("id") if isinstance(msg, dict) else None
        params = msg.get("params") if isinstance(msg, dict) else None
        if not requested and isinstance(params, dict) and isinstance(params.get("protocolVersion"), str):
            requested = params["protocolVersion"]  # what an initialize asks for
        error = {
            "code": UNSUPPORTED_PROTOCOL_VERSION,
            "message": "Unsupported protocol version",
            "data": {"supported": list(MODERN_VERSIONS), "requested": requested},
        }
        answer = json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}).encode()
        await _respond(send, 400, answer, [(b"content-type", b"application/json")])


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message: Message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--modern-only", action="store_true", help="refuse handshake-era requests (HTTP 400, -32022)")
    parser.add_argument("--json", action="store_true", help="JSON answers instead of SSE")
    parser.add_argument("--nodelay", action="store_true", help="TCP_NODELAY on every connection (Linux inherits it)")
    args = parser.parse_args()
    app: ASGIApp = build().streamable_http_app(json_response=args.json)
    if args.modern_only:
        app = ModernOnly(app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.nodelay:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
