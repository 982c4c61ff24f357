"""Who Plugboard is to an authorization server: a client id, chosen the way the MCP spec orders it.

1. A client id the user configured (`--client-id`): an app registered with that server by hand. Public (no
   secret: a desktop program cannot keep one), redirect on any loopback port (RFC 8252 §7.3).
2. A Client ID Metadata Document (the 2026-07-28 revision's preferred way): when the server says it supports them
   (`client_id_metadata_document_supported`) and Plugboard has a document published at an HTTPS address, that
   address *is* the client id. `CLIENT_METADATA_URL` is None: Plugboard owns no HTTPS address yet to publish one
   at, so this step is wired (and tested with a given address) but skipped in practice until it has one.
3. Dynamic client registration (RFC 7591; deprecated in 2026-07-28 but what most servers offer today): we POST our
   metadata — our name, the exact loopback redirect URI of this sign-in, the authorization-code and refresh-token
   grants, and the token endpoint authentication the server lists (`none`, a public client, when it does; else
   `client_secret_post` or `_basic`, and the secret it issues is kept in the keyring with the tokens).
   A registration is bound to its issuer and its redirect URI; the session reuses it while it can bind that port.

Anything else (no registration endpoint, no metadata document, no configured id) is a `SignInFailed` that says to
add `--client-id`. A registration answer is checked before it is used (RFC 7591 §3.2.1 lets a server change what
we asked for): an authentication method we cannot apply, or one that needs a secret the server did not issue, is
refused now rather than at the token endpoint later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from plugboard.core.bridge.oauth.challenge import host_of
from plugboard.core.bridge.oauth.discovery import ServerMetadata
from plugboard.core.bridge.oauth.errors import SignInFailed, server_text
from plugboard.core.bridge.oauth.wire import post_json

if TYPE_CHECKING:
    import httpx

CLIENT_NAME = "Plugboard"
CLIENT_METADATA_URL: str | None = None
CONFIGURED, METADATA_DOCUMENT, REGISTERED = "configured", "metadata-document", "registered"
PUBLIC = "none"
SECRET_METHODS = ("client_secret_post", "client_secret_basic")
USABLE_METHODS = (PUBLIC, *SECRET_METHODS)


@dataclass(frozen=True)
class Client:
    client_id: str
    kind: str
    auth_method: str = PUBLIC
    client_secret: str | None = None
    redirect_uri: str | None = None
    """The redirect URI a registration was made for (None: any loopback port will do)."""
    issuer: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "kind": self.kind,
            "auth_method": self.auth_method,
            "client_secret": self.client_secret,
            "redirect_uri": self.redirect_uri,
            "issuer": self.issuer,
        }

    @classmethod
    def from_json(cls, data: object) -> Client | None:
        if not isinstance(data, dict) or not isinstance(data.get("client_id"), str):
            return None
        method = data.get("auth_method")
        return cls(
            client_id=data["client_id"],
            kind=str(data.get("kind") or REGISTERED),
            auth_method=method if method in USABLE_METHODS else PUBLIC,
            client_secret=data.get("client_secret") if isinstance(data.get("client_secret"), str) else None,
            redirect_uri=data.get("redirect_uri") if isinstance(data.get("redirect_uri"), str) else None,
            issuer=data.get("issuer") if isinstance(data.get("issuer"), str) else None,
        )

    def fits(self, server: ServerMetadata, configured_id: str | None, redirect_uri: str) -> bool:
        """Whether this stored client can sign in again at `server` with `redirect_uri`, for this configuration."""
        if configured_id:
            return self.kind == CONFIGURED and self.client_id == configured_id
        if self.kind == CONFIGURED:
            return False  # the user removed --client-id
        if self.kind == REGISTERED:
            return self.issuer == server.issuer and self.redirect_uri == redirect_uri
        return server.client_id_metadata_document_supported


def choose_client(
    http: httpx.Client,
    name: str,
    server: ServerMetadata,
    *,
    configured_id: str | None,
    redirect_uri: str,
    scope: str | None,
    metadata_url: str | None = CLIENT_METADATA_URL,
) -> Client:
    """The client to sign in as (module docstring); registers one when that is the way."""
    if configured_id:
        return Client(configured_id, CONFIGURED, issuer=server.issuer)
    if metadata_url and server.client_id_metadata_document_supported:
        return Client(metadata_url, METADATA_DOCUMENT, issuer=server.issuer)
    if server.registration_endpoint:
        return register(http, name, server, redirect_uri=redirect_uri, scope=scope)
    raise SignInFailed(
        name,
        host_of(server.issuer),
        "the sign-in server does not let programs register themselves; register an app there and add its "
        "client id to the connector (--client-id ID)",
    )


def _auth_method(server: ServerMetadata) -> str:
    offered = server.token_endpoint_auth_methods
    if offered is None or PUBLIC in offered:
        return PUBLIC
    return next((m for m in SECRET_METHODS if m in offered), PUBLIC)


def register(http: httpx.Client, name: str, server: ServerMetadata, *, redirect_uri: str, scope: str | None) -> Client:
    assert server.registration_endpoint is not None
    method = _auth_method(server)
    body: dict[str, Any] = {
        "client_name": CLIENT_NAME,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": method,
        "software_id": "plugboard",
    }
    if scope:
        body["scope"] = scope
    host = host_of(server.registration_endpoint)
    answer = post_json(http, name, server.registration_endpoint, body)
    data = answer.json
    if answer.status not in (200, 201) or data is None:
        detail = ""
        if data is not None and data.get("error"):
            detail = f": {server_text(data.get('error_description') or data.get('error'))}"
        raise SignInFailed(
            name, host, f"the sign-in server refused to register Plugboard (HTTP {answer.status}){detail}"
        )
    client_id = data.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise SignInFailed(name, host, "the sign-in server registered Plugboard without giving it a client id")
    granted = data.get("token_endpoint_auth_method", method)
    secret = data.get("client_secret") if isinstance(data.get("client_secret"), str) else None
    if granted not in USABLE_METHODS:
        raise SignInFailed(
            name, host, f"the sign-in server wants a client authentication Plugboard cannot do ({server_text(granted)})"
        )
    if granted in SECRET_METHODS and not secret:
        raise SignInFailed(name, host, "the sign-in server wants a client secret but did not issue one")
    return Client(client_id, REGISTERED, granted, secret, redirect_uri, server.issuer)
