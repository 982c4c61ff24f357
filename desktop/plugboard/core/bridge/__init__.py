"""`plugboard proxy`: a stdio MCP server to Claude, a Streamable HTTP (or legacy SSE) client to the remote.

Uses tunnel/ for `--ssh`, launch/ for status records, logs/ and secrets/; never imports config or probe.
Where things are: `run` (the program, `ProxyProgram`), `proxy` (the relay's owner, `Proxy`, `ProxyState`), `exchange`
(one request's layers: connect-retry → session recovery → reading the answer), `outbox` (one-way messages, in order),
`http_session` (headers, session id, the HTTP verbs), `transport` / `channel_transport` (TCP, or SSH channels, held
to each request's deadline), `sse`, `jsonrpc`, `explain` (the sentences the client reads), `legacy_sse`, `headers`,
`url`.
"""
