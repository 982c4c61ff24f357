"""OAuth 2.1 for the bridge (the MCP spec's authorization section): signing in to a remote MCP server, keeping the
sign-in in the OS keyring, and renewing it — once, for every proxy process at the same time.

Modules, in the order a sign-in uses them:

    challenge     the 401's WWW-Authenticate, the discovery addresses, resource and issuer comparison (pure)
    wire          the OAuth side's httpx client and request shapes; "no answer" → SignInUnreachable
    discovery     RFC 9728 protected resource metadata → RFC 8414 / OIDC authorization server metadata
    registration  the client id: configured, a Client ID Metadata Document, or dynamic registration (RFC 7591)
    grants        PKCE S256, the authorization URL, code exchange, refresh (rotating), revocation
    loopback      the system browser (`webbrowser`, so `BROWSER`) and the redirect on 127.0.0.1
    store         the keyring record per (issuer, resource) and the lock every process shares
    session       `OAuthSession`: what the relay and `plugboard login` / `logout` call
    entry         the rules for `--oauth [--client-id ID] [--scope S]` on a proxy entry
    errors        SignInRequired / SignInUnreachable / SignInFailed, each a sentence with the next step

The interface for the relay is `session.OAuthSession` (its docstring shows the calls): `headers()` before each
request, `on_unauthorized(www_authenticate)` after a 401 then one retry, `secret_values()` for redaction, `close()`.
Nothing here imports httpx until a request is made, so a proxy with a fresh stored token pays one keyring read.

Why our own small client on httpx and not the `mcp` SDK's `OAuthClientProvider` (issue 15: "pick one [HTTP stack]
for the proxy by measurement, keeping the low-latency socket transport"). Measured on the 2-core dev container
with tests/benchmarks/bench_oauth.py (medians; the machine is shared, so ±20 % between runs):

    import in a fresh interpreter (over `python -c pass`)    httpx 52 ms · httpx2 45 ms · mcp.client.auth 372 ms
                                                             · this package's session + httpx 58 ms
    POST tools/call p50 / p95 against the SDK's server       httpx + Plugboard's socket backend 2.0 / 2.9 ms
      (stock uvicorn, SSE answers, a bearer on every call)   httpx2 sync 43.5 / 44.6 ms · httpx2 async 43.6 / 45.1 ms
                                                             httpx2 async + OAuthClientProvider 44.1 / 45.5 ms
                                                             httpx + OAuthSession.headers() 2.0 / 3.0 ms

- The SDK's provider is an `httpx2.Auth` with an async flow only (`async_auth_flow`, anyio locks); the relay is
  synchronous threads over httpx. Using it means a second HTTP stack (httpx2 + httpcore2) and an event loop in the
  proxy, and `mcp.client.auth` costs ~370 ms to import (pydantic models, the SDK's client package) — more than the
  whole 250 ms cold-start budget with a stored token.
- httpx2's transport takes socket options but has no hook to re-arm TCP_QUICKACK after each read, so it keeps the
  ~40 ms delayed-ACK stall against servers that write a response in two segments (the stall `http_session`'s
  transport removes; FACTS.md §C.4). httpx stays the proxy's one stack.
- Its refresh runs inside the auth flow under an in-process lock, with storage read once at start: N processes
  with one rotating refresh token would each spend it. Cross-process serialisation needs the storage read again
  under a shared lock at the moment of refreshing, which is what `store` and `session` do.
The SDK is still the reference: the discovery order, scope choice, issuer checks and registration checks follow
`mcp/client/auth/` 2.3, and the tests' authorization server is the SDK's own (`mcp.server.auth`).
"""
