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
for the proxy by measurement, keeping the low-latency socket transport"). Measured with tests/benchmarks/bench_oauth.py
on the shared 2-core dev container (medians; load moves them by ±30 %; figures of the quieter of two runs):

    import in a fresh interpreter, over `python -c pass`     httpx +94 ms · httpx2 +62 ms · mcp.client.auth +557 ms
                                                             (+919 ms under load) · oauth.session +36 ms
    cold start with a stored sign-in (spawn → headers())     103 ms (budget 250 ms; 189 ms under load)
    `tools/call` p50 / p95 on the SDK's server, a bearer on every call (stock uvicorn, SSE answers):
      httpx + http_session's transport (TCP_QUICKACK)        1.65 / 6.8 ms
      the same + OAuthSession.headers() on every call        1.61 / 5.7 ms
      httpx2 Client, sync                                    44.0 / 48.8 ms
      httpx2 Client + the same TCP_QUICKACK backend          1.60 / 6.2 ms   (patched into its private pool)
      httpx2 AsyncClient                                     44.1 / 51.9 ms
      httpx2 AsyncClient + OAuthClientProvider               44.1 / 49.6 ms

- The ~42 ms is the socket transport, not the library: httpx2 with the same QUICKACK backend is as fast as httpx.
  Neither has a public hook for it; the relay sets it on httpx's pool (`http_session`, checked by a unit test),
  and httpx2 would need the same private patch twice (its sync and its anyio pool).
- The SDK's provider is an `httpx2.Auth` with an async flow only (anyio locks); the relay is synchronous threads
  over httpx. Taking it means a second HTTP stack and an event loop in the proxy, and `mcp.client.auth` alone
  costs 0.56–0.92 s to import (pydantic models, the SDK's client package): over the whole cold-start budget.
- Its refresh runs inside the auth flow under an in-process lock, with storage read once at start: N processes
  sharing one rotating refresh token would each spend it. Serialising across processes needs the stored token read
  again under a shared lock at the moment of refreshing — what `store` and `session` do.
So httpx stays the proxy's one stack, and httpx2 only the SDK's own dependency. The SDK remains the
reference: the discovery order, scope choice, issuer and registration checks follow `mcp/client/auth/` 2.3, and the
tests' authorization server is the SDK's own (`mcp.server.auth`).
"""
