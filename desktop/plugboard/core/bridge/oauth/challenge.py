"""What a 401 says, and where to look next: `WWW-Authenticate` challenges and the discovery addresses.

Pure functions (no network, no httpx), shared by discovery, the session and the tests:

- `bearer_challenge(header)`: the `Bearer` challenge of a `WWW-Authenticate` value (RFC 9110 §11.6.1 syntax:
  several challenges in one header, quoted strings with escapes, a token68 form), with the parameters the MCP
  authorization spec uses: `resource_metadata` (RFC 9728 §5.1), `scope` and `error` (RFC 6750 §3).
- `protected_resource_metadata_urls`: where RFC 9728 metadata may be, in the spec's order: the challenge's
  `resource_metadata`, then the path-aware well-known address, then the root one.
- `authorization_server_metadata_urls`: RFC 8414 and OpenID Connect discovery addresses for an issuer, path-aware
  first (RFC 8414 §3.1, OIDC Discovery §4.1).
- `canonical_resource` / `resource_covers`: the RFC 8707 resource indicator the bridge sends, and whether the
  resource a server's metadata names covers the endpoint we use (same origin, a parent path).
- `issuers_match`: RFC 8414 §3.3 string comparison, except that a root issuer with and without its trailing slash
  name the same server (pydantic-based servers, the `mcp` SDK's among them, render one or the other).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

_HTTP_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_SCHEME = re.compile(rf"({_HTTP_TCHARS})")
# A bare value should be a token; servers also send unquoted URLs (`resource_metadata=https://…`), so a bare value
# runs to the next comma or space, as other clients read it.
_PARAM = re.compile(rf'({_HTTP_TCHARS})[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))')
_TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_ESCAPE = re.compile(r"\\(.)")

PRM_WELL_KNOWN = "/.well-known/oauth-protected-resource"
ASM_WELL_KNOWN = "/.well-known/oauth-authorization-server"
OIDC_WELL_KNOWN = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class Challenge:
    """One challenge of a `WWW-Authenticate` header; parameter names in lower case."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def resource_metadata(self) -> str | None:
        return self.params.get("resource_metadata") or None

    @property
    def scope(self) -> str | None:
        return self.params.get("scope") or None

    @property
    def error(self) -> str | None:
        return self.params.get("error") or None


def parse_challenges(header: str) -> list[Challenge]:
    """Every challenge in a `WWW-Authenticate` value, in order. Lenient: what does not parse ends the scan."""
    found: list[Challenge] = []
    i, n = 0, len(header)
    while True:
        while i < n and header[i] in " \t,":
            i += 1
        scheme = _SCHEME.match(header, i)
        if scheme is None:
            return found
        i = scheme.end()
        params: dict[str, str] = {}
        while True:
            while i < n and header[i] in " \t":
                i += 1
            param = _PARAM.match(header, i)
            if param is None:
                token68 = _TOKEN68.match(header, i) if not params else None
                if token68 is not None and (token68.end() == n or header[token68.end()] in " \t,"):
                    params["token68"] = token68.group(0)
                    i = token68.end()
                break
            quoted, bare = param.group(2), param.group(3)
            params.setdefault(param.group(1).lower(), _ESCAPE.sub(r"\1", quoted) if quoted is not None else bare)
            i = param.end()
            while i < n and header[i] in " \t":
                i += 1
            if i < n and header[i] == ",":
                i += 1
                continue
            break
        found.append(Challenge(scheme.group(1).lower(), params))
        if i >= n:
            return found


def bearer_challenge(header: str | None) -> Challenge | None:
    """The `Bearer` challenge of a `WWW-Authenticate` value, or None."""
    if not header:
        return None
    return next((c for c in parse_challenges(header) if c.scheme == "bearer"), None)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def host_of(url: str) -> str:
    """`host[:port]` of a URL, without any user name or password: how messages name a server."""
    parts = urlsplit(url)
    host = parts.hostname or parts.netloc
    return f"{host}:{parts.port}" if parts.port else host


def canonical_resource(url: str) -> str:
    """The RFC 8707 resource indicator for an MCP endpoint (the MCP spec's canonical URI): scheme and host in lower
    case, no fragment; the path is kept as written, trailing slash included (it may be significant)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower(), fragment=""))


def resource_covers(endpoint: str, resource: str) -> bool:
    """Whether metadata naming `resource` may describe `endpoint`: same origin, and `resource`'s path is the
    endpoint's path or a parent of it (`/mcp` covers `/mcp` and `/mcp/x`, never `/mcp2`)."""
    a, b = urlsplit(endpoint), urlsplit(resource)
    if (a.scheme.lower(), a.netloc.lower()) != (b.scheme.lower(), b.netloc.lower()):
        return False
    wanted = a.path if a.path.endswith("/") else a.path + "/"
    covering = b.path if b.path.endswith("/") else b.path + "/"
    return wanted.startswith(covering)


def protected_resource_metadata_urls(resource_metadata: str | None, server_url: str) -> list[str]:
    """Where to look for RFC 9728 metadata about `server_url`, in the MCP spec's order."""
    urls = [resource_metadata] if resource_metadata else []
    path = urlsplit(server_url).path
    base = origin(server_url)
    if path and path != "/":
        urls.append(base + PRM_WELL_KNOWN + path)
    urls.append(base + PRM_WELL_KNOWN)
    return list(dict.fromkeys(urls))


def authorization_server_metadata_urls(issuer: str) -> list[str]:
    """Where an issuer's metadata may be: RFC 8414 first, then OpenID Connect discovery; path-aware for an issuer
    with a path (`https://id.example/tenant` → `/.well-known/oauth-authorization-server/tenant`, …)."""
    base = origin(issuer)
    path = urlsplit(issuer).path.rstrip("/")
    if path:
        return [base + ASM_WELL_KNOWN + path, base + OIDC_WELL_KNOWN + path, base + path + OIDC_WELL_KNOWN]
    return [base + ASM_WELL_KNOWN, base + OIDC_WELL_KNOWN]


def issuers_match(a: str, b: str) -> bool:
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return longer == shorter + "/" and urlsplit(shorter).path == ""
