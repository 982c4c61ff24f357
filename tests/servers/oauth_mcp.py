"""An MCP server that wants an OAuth sign-in, and the authorization server that grants it, in one process: the `mcp`
SDK's own auth routes (`mcp.server.auth`: `AuthSettings` + `create_auth_routes` behind `MCPServer`) over an
in-memory `OAuthAuthorizationServerProvider` that approves every authorization at once.

    python oauth_mcp.py [--port N] [--access-seconds S] [--scope S] [--client-id ID] [--issuer URL] [--nodelay]

Binds 127.0.0.1 (port 0 = a free one) and prints the port before serving, as `http_mcp.py` does.

- Issuer `http://127.0.0.1:PORT`; the MCP endpoint `/mcp` refuses any request without a valid bearer (401 with
  `WWW-Authenticate: Bearer …, resource_metadata="…", scope="S"`; the SDK's header has no `scope`, this server adds
  it, as the MCP spec asks servers to). Tokens must carry this endpoint as their RFC 8707 resource.
- Dynamic client registration is open (valid scopes: `--scope` and `offline_access`); `--client-id ID` also knows a
  pre-registered public client that may redirect to any 127.0.0.1 port (RFC 8252 §7.3).
- Access tokens live `--access-seconds` (default 60); refresh tokens rotate: each is spent by its first use.
- The redirect carries `iss` (RFC 9207).
- `--issuer URL`: a resource server only, whose metadata names another authorization server (the tests give one
  that does not answer).
- Test-only routes: `GET /_test/stats` (token requests by grant type, registrations, refused refreshes,
  revocations),
  `POST /_test/expire` (every access token expires now), `POST /_test/revoke` (every token is revoked).

Tool: `echo(text)`.
"""

from __future__ import annotations

import argparse
import secrets
import socket
import time
from collections import Counter
from typing import Any

import uvicorn
from mcp.server import MCPServer
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    RefreshToken,
    construct_redirect_uri,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CODE_SECONDS = 300
REFRESH_SECONDS = 24 * 3600


class LoopbackClient(OAuthClientInformationFull):
    """A pre-registered native app: any port on 127.0.0.1 is its redirect (RFC 8252 §7.3)."""

    def validate_redirect_uri(self, redirect_uri: AnyUrl | None) -> AnyUrl:
        if redirect_uri is not None and redirect_uri.host == "127.0.0.1" and redirect_uri.path == "/callback":
            return redirect_uri
        return super().validate_redirect_uri(redirect_uri)


class MemoryProvider:
    """Everything in memory; approves at once; counts what the tests look at."""

    def __init__(self, issuer: str, access_seconds: int) -> None:
        self.issuer = issuer
        self.access_seconds = access_seconds
        self.clients: dict[str, OAuthClientInformationFull] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.counts: Counter[str] = Counter()

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        return self.clients.get(client_id)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        self.counts["registrations"] += 1
        self.clients[client_info.client_id] = client_info

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        code = secrets.token_urlsafe(32)
        self.codes[code] = AuthorizationCode(
            code=code,
            scopes=params.scopes or [],
            expires_at=time.time() + CODE_SECONDS,
            client_id=client.client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
        )
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state, iss=self.issuer)

    async def load_authorization_code(self, client: OAuthClientInformationFull, code: str) -> AuthorizationCode | None:
        return self.codes.get(code)

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        self.counts["authorization_code"] += 1
        del self.codes[authorization_code.code]
        return self._issue(client.client_id, authorization_code.scopes, authorization_code.resource)

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        self.counts["refresh_token"] += 1  # every refresh request that reaches us, granted or not
        found = self.refresh.get(refresh_token)
        if found is None:
            self.counts["refresh_refused"] += 1
        return found

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        del self.refresh[refresh_token.token]  # rotation: a refresh token is spent by its first use
        return self._issue(client.client_id, scopes, refresh_token.resource)

    async def load_access_token(self, token: str) -> AccessToken | None:
        found = self.access.get(token)
        if found is None or (found.expires_at is not None and found.expires_at < time.time()):
            return None
        return found

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        self.counts["revocations"] += 1
        self.access.pop(token.token, None)
        self.refresh.pop(token.token, None)

    async def exchange_identity_assertion(self, client: Any, params: Any) -> OAuthToken:
        raise NotImplementedError

    def _issue(self, client_id: str, scopes: list[str], resource: str | None) -> OAuthToken:
        access, refresh = f"at-{secrets.token_urlsafe(24)}", f"rt-{secrets.token_urlsafe(24)}"
        now = int(time.time())
        self.access[access] = AccessToken(
            token=access, client_id=client_id, scopes=scopes, expires_at=now + self.access_seconds, resource=resource
        )
        self.refresh[refresh] = RefreshToken(
            token=refresh, client_id=client_id, scopes=scopes, expires_at=now + REFRESH_SECONDS, resource=resource
        )
        return OAuthToken(
            access_token=access,
            token_type="Bearer",
            expires_in=self.access_seconds,
            refresh_token=refresh,
            scope=" ".join(scopes) or None,
        )


class ScopeChallenge:
    """Adds `scope="S"` to the SDK's 401 challenge (RFC 6750 §3; the MCP spec asks servers to name the scope)."""

    def __init__(self, app: ASGIApp, scope: str) -> None:
        self.app = app
        self.scope = scope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_scope(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                headers = [
                    (k, v + f', scope="{self.scope}"'.encode() if k.lower() == b"www-authenticate" else v)
                    for k, v in message.get("headers", [])
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_scope)


def build(port: int, args: argparse.Namespace) -> ASGIApp:
    own_issuer = f"http://127.0.0.1:{port}"
    provider = MemoryProvider(own_issuer, args.access_seconds)
    if args.client_id:
        provider.clients[args.client_id] = LoopbackClient(
            client_id=args.client_id,
            redirect_uris=[AnyUrl(f"http://127.0.0.1:{port}/callback")],
            token_endpoint_auth_method="none",
            grant_types=["authorization_code", "refresh_token"],
            scope=f"{args.scope} offline_access",
        )
    auth = AuthSettings(
        issuer_url=args.issuer or own_issuer,
        resource_server_url=f"{own_issuer}/mcp",
        validate_token_resource=True,
        required_scopes=[args.scope],
        client_registration_options=ClientRegistrationOptions(
            enabled=True, valid_scopes=[args.scope, "offline_access"], default_scopes=[args.scope]
        ),
        revocation_options=RevocationOptions(enabled=True),
    )
    if args.issuer:
        server = MCPServer("oauth-test", auth=auth, token_verifier=_Verifier(provider))
    else:
        server = MCPServer("oauth-test", auth=auth, auth_server_provider=provider)  # type: ignore[arg-type]

    @server.tool()
    def echo(text: str) -> str:
        """Return the text."""
        return text

    @server.custom_route("/_test/stats", methods=["GET"])
    async def stats(_request: Request) -> Response:
        return JSONResponse(dict(provider.counts))

    @server.custom_route("/_test/expire", methods=["POST"])
    async def expire(_request: Request) -> Response:
        for token in provider.access.values():
            token.expires_at = int(time.time()) - 1
        return JSONResponse({"expired": len(provider.access)})

    @server.custom_route("/_test/revoke", methods=["POST"])
    async def revoke(_request: Request) -> Response:
        revoked = len(provider.access) + len(provider.refresh)
        provider.access.clear()
        provider.refresh.clear()
        return JSONResponse({"revoked": revoked})

    return ScopeChallenge(server.streamable_http_app(), args.scope)


class _Verifier:
    def __init__(self, provider: MemoryProvider) -> None:
        self.provider = provider

    async def verify_token(self, token: str) -> AccessToken | None:
        return await self.provider.load_access_token(token)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--access-seconds", type=int, default=60)
    parser.add_argument("--scope", default="mcp:tools")
    parser.add_argument("--client-id")
    parser.add_argument("--issuer", help="name another authorization server (resource server only)")
    parser.add_argument("--nodelay", action="store_true", help="TCP_NODELAY on every connection (Linux inherits it)")
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.nodelay:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)
    port = sock.getsockname()[1]
    app = build(port, args)
    print(port, flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
