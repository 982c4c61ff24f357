"""Finding where to sign in for an MCP endpoint: protected resource metadata, then authorization server metadata.

The MCP authorization spec's chain, as `discover` walks it:

1. RFC 9728 protected resource metadata, from the 401's `resource_metadata` or the well-known addresses
   (`challenge.protected_resource_metadata_urls`). A 404 (or any 4xx, or a body that is not metadata) means "not
   here, try the next"; a 5xx or 429 stops the search (a server error says nothing about whether metadata exists,
   so it must not send us down another path). The metadata's `resource` must cover our endpoint, else it describes
   another server and is refused (RFC 9728 §3.3). The first listed authorization server is used.
2. Without any such metadata (servers of the 2025-03-26 revision), the endpoint's origin is the issuer.
3. RFC 8414 / OpenID Connect metadata of that issuer (`challenge.authorization_server_metadata_urls`); its `issuer`
   must be the one we looked up (RFC 8414 §3.3 — the defence against a mix-up of servers), and it must offer PKCE
   with S256: the MCP spec tells clients to refuse a server that does not (an absent list counts as no support).

The scope to ask for follows the spec's order: the challenge's `scope`, else the resource metadata's
`scopes_supported`; `offline_access` is added when the issuer lists it, so a refresh token comes back (SEP-2207).
A scope the user configured (`--scope`) is used instead of all of these by the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from plugboard.core.bridge.oauth.challenge import (
    Challenge,
    authorization_server_metadata_urls,
    canonical_resource,
    host_of,
    issuers_match,
    origin,
    protected_resource_metadata_urls,
    resource_covers,
)
from plugboard.core.bridge.oauth.errors import SignInFailed, server_text
from plugboard.core.bridge.oauth.wire import get_json

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class ResourceMetadata:
    """RFC 9728 §2, the fields the client uses."""

    resource: str
    authorization_servers: tuple[str, ...]
    scopes_supported: tuple[str, ...] | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ResourceMetadata | None:
        resource, servers = data.get("resource"), data.get("authorization_servers")
        if not isinstance(resource, str) or not isinstance(servers, list):
            return None
        servers = [s for s in servers if isinstance(s, str) and s.startswith(("https://", "http://"))]
        if not servers:
            return None
        return cls(resource, tuple(servers), _strings(data.get("scopes_supported")))


@dataclass(frozen=True)
class ServerMetadata:
    """RFC 8414 §2 (and the OpenID Connect equivalents), the fields the client uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    registration_endpoint: str | None = None
    revocation_endpoint: str | None = None
    scopes_supported: tuple[str, ...] | None = None
    code_challenge_methods: tuple[str, ...] | None = None
    token_endpoint_auth_methods: tuple[str, ...] | None = None
    client_id_metadata_document_supported: bool = False
    iss_parameter_supported: bool = False
    """RFC 9207 §3: the server promises `iss` on every redirect; one without it is then refused."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServerMetadata | None:
        issuer, authorize, token = data.get("issuer"), data.get("authorization_endpoint"), data.get("token_endpoint")
        if not all(isinstance(v, str) and v for v in (issuer, authorize, token)):
            return None
        assert isinstance(issuer, str) and isinstance(authorize, str) and isinstance(token, str)
        return cls(
            issuer=issuer,
            authorization_endpoint=authorize,
            token_endpoint=token,
            registration_endpoint=_string(data.get("registration_endpoint")),
            revocation_endpoint=_string(data.get("revocation_endpoint")),
            scopes_supported=_strings(data.get("scopes_supported")),
            code_challenge_methods=_strings(data.get("code_challenge_methods_supported")),
            token_endpoint_auth_methods=_strings(data.get("token_endpoint_auth_methods_supported")),
            client_id_metadata_document_supported=data.get("client_id_metadata_document_supported") is True,
            iss_parameter_supported=data.get("authorization_response_iss_parameter_supported") is True,
        )

    def to_json(self) -> dict[str, Any]:
        """What a stored sign-in needs of this metadata later (endpoints and promises), in RFC 8414's names.

        Only what is set: a record is one keyring item while it stays under 1,000 characters (`secrets.keyring`),
        and these lists are checked at discovery, not after."""
        data: dict[str, Any] = {
            "issuer": self.issuer,
            "authorization_endpoint": self.authorization_endpoint,
            "token_endpoint": self.token_endpoint,
            "registration_endpoint": self.registration_endpoint,
            "revocation_endpoint": self.revocation_endpoint,
            "code_challenge_methods_supported": list(self.code_challenge_methods or ()) or None,
            "client_id_metadata_document_supported": self.client_id_metadata_document_supported or None,
            "authorization_response_iss_parameter_supported": self.iss_parameter_supported or None,
        }
        return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True)
class Discovery:
    """Where and how to sign in for one MCP endpoint."""

    server_url: str
    resource: str
    """The RFC 8707 `resource` to send: the metadata's resource when it covers the endpoint, else the endpoint."""
    server: ServerMetadata
    resource_metadata: ResourceMetadata | None
    scope: str | None
    """What to ask for when the user configured nothing (module docstring)."""

    @property
    def issuer(self) -> str:
        return self.server.issuer


def discover(http: httpx.Client, name: str, server_url: str, challenge: Challenge | None) -> Discovery:
    """Walk the chain for `server_url` (module docstring). Raises `SignInUnreachable` or `SignInFailed`."""
    prm = _protected_resource(http, name, server_url, challenge)
    issuer = prm.authorization_servers[0] if prm is not None else origin(server_url)
    server = _authorization_server(http, name, issuer)
    resource = canonical_resource(server_url)
    if prm is not None and resource_covers(server_url, prm.resource):
        resource = prm.resource
    return Discovery(server_url, resource, server, prm, choose_scope(challenge, prm, server))


def choose_scope(challenge: Challenge | None, prm: ResourceMetadata | None, server: ServerMetadata) -> str | None:
    scope = None
    if challenge is not None and challenge.scope:
        scope = challenge.scope
    elif prm is not None and prm.scopes_supported:
        scope = " ".join(prm.scopes_supported)
    offline = bool(server.scopes_supported) and "offline_access" in (server.scopes_supported or ())
    if scope and offline and "offline_access" not in scope.split():
        scope += " offline_access"
    return scope


def _protected_resource(
    http: httpx.Client, name: str, server_url: str, challenge: Challenge | None
) -> ResourceMetadata | None:
    hinted = challenge.resource_metadata if challenge is not None else None
    for url in protected_resource_metadata_urls(hinted, server_url):
        answer = get_json(http, name, url)
        if answer.status >= 500 or answer.status == 429:
            raise SignInFailed(name, host_of(url), f"its sign-in information is unavailable (HTTP {answer.status})")
        if answer.status != 200 or answer.json is None:
            continue
        metadata = ResourceMetadata.from_json(answer.json)
        if metadata is None:
            continue
        if not resource_covers(server_url, metadata.resource):
            raise SignInFailed(
                name,
                host_of(server_url),
                f"its sign-in information describes another server ({server_text(metadata.resource)})",
            )
        return metadata
    return None


def _authorization_server(http: httpx.Client, name: str, issuer: str) -> ServerMetadata:
    for url in authorization_server_metadata_urls(issuer):
        answer = get_json(http, name, url)
        if answer.status >= 500 or answer.status == 429:
            raise SignInFailed(name, host_of(url), f"the sign-in server is unavailable (HTTP {answer.status})")
        if answer.status != 200 or answer.json is None:
            continue
        metadata = ServerMetadata.from_json(answer.json)
        if metadata is None:
            continue
        if not issuers_match(metadata.issuer, issuer):
            raise SignInFailed(
                name,
                host_of(issuer),
                f"the sign-in server calls itself {server_text(metadata.issuer)}, not {issuer}; "
                "Plugboard does not sign in where the names disagree",
            )
        if "S256" not in (metadata.code_challenge_methods or ()):
            raise SignInFailed(
                name,
                host_of(issuer),
                "the sign-in server does not offer PKCE (S256), which every MCP sign-in must use",
            )
        return metadata
    raise SignInFailed(
        name,
        host_of(issuer),
        "it publishes no OAuth sign-in information; if the server does not use OAuth, remove --oauth from the "
        "connector",
    )


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _strings(value: object) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    return tuple(v for v in value if isinstance(v, str))
