"""`plugboard proxy`: a stdio MCP server to Claude, a Streamable HTTP (or legacy SSE) client to the remote.

Uses tunnel/ for `--ssh`, launch/ for status records, logs/ and secrets/; never imports config or probe.
Where things are: `run` (the program, `ProxyProgram`), `proxy` (the relay's owner, `Proxy`, `ProxyState`), `era`
(which protocol era the server speaks, and the per-URL cache of that verdict), `exchange` (one request's layers:
connect-retry → session recovery → reading the answer), `modern` (the 2026-07-28 layer beside the handshake's
session recovery: answering initialize from server/discover, the per-request envelope and routing headers,
multi-round-trip input, subscriptions/listen), `outbox` (one-way messages, in order), `http_session` (headers,
session id, the HTTP verbs), `transport` / `channel_transport` (TCP, or SSH channels, held to each request's deadline
and closed on cancellation), `sse`, `jsonrpc`, `explain` (the sentences the client reads), `legacy_sse`, `headers`,
`url`.
"""
