"""Talking to the token side of an authorization server: PKCE, the authorization URL, and the three token requests
(authorization code, refresh, revocation).

- PKCE S256 (RFC 7636 §4): a 64-byte random verifier (86 URL-safe characters), its SHA-256 as the challenge.
- Every authorization and token request carries `resource` (RFC 8707): the MCP spec requires it whatever the
  server advertises, and a server that does not know it ignores it (RFC 6749 §3.1).
- Client authentication follows the client's method: nothing but `client_id` for a public client,
  `client_secret_post` in the form, `client_secret_basic` as HTTP Basic with both parts form-encoded
  (RFC 6749 §2.3.1).
- A token answer must carry an `access_token` of type Bearer (absent `token_type` is taken as Bearer: some servers
  leave it out). `expires_in` becomes an absolute `expires_at`; a refresh answer without a new refresh token or
  scope keeps the old ones (RFC 6749 §6 lets a server not rotate).

A refused grant is `GrantRefused` (error `invalid_grant`: the code or refresh token is spent, revoked or expired —
"sign in again"), a refused client is `ClientRefused` (`invalid_client`: the registration is gone). The session
turns both into `SignInRequired`; any other error answer is `SignInFailed` with the server's own words.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from plugboard.core.bridge.oauth.challenge import host_of
from plugboard.core.bridge.oauth.errors import SignInFailed, server_text
from plugboard.core.bridge.oauth.registration import Client
from plugboard.core.bridge.oauth.wire import post_form

if TYPE_CHECKING:
    import httpx

# Revoking at sign-out is a courtesy to the server; a person is waiting at a terminal, so do not wait long.
REVOKE_TIMEOUT_S = 5.0
PKCE_VERIFIER_BYTES = 64


@dataclass(frozen=True)
class Token:
    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None
    obtained_at: float = 0.0
    scope: str | None = None
    token_type: str = "Bearer"  # noqa: S105  (a token type, not a token)

    def fresh(self, now: float) -> bool:
        """Usable now, with a margin: a token the server sees only after it expired is a wasted round trip.

        The margin is a tenth of the token's life, at most 30 s (a one-hour token is renewed 30 s early; a
        20-second one 2 s early), so even very short-lived tokens are used, not renewed at once."""
        if self.expires_at is None:
            return True
        life = max(0.0, self.expires_at - self.obtained_at)
        return now < self.expires_at - min(30.0, life / 10)

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "obtained_at": self.obtained_at,
            "scope": self.scope,
            "token_type": self.token_type,
        }

    @classmethod
    def from_json(cls, data: object) -> Token | None:
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            return None
        expires = data.get("expires_at")
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token") if isinstance(data.get("refresh_token"), str) else None,
            expires_at=float(expires) if isinstance(expires, int | float) else None,
            obtained_at=float(data.get("obtained_at") or 0.0),
            scope=data.get("scope") if isinstance(data.get("scope"), str) else None,
            token_type=str(data.get("token_type") or "Bearer"),
        )


class GrantRefused(Exception):
    """The server answered `invalid_grant`: the code or refresh token cannot be used (any more)."""


class ClientRefused(Exception):
    """The server answered `invalid_client`: it does not know (or no longer accepts) our client."""


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(PKCE_VERIFIER_BYTES)
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("="))


def authorization_url(
    endpoint: str, client: Client, *, redirect_uri: str, state: str, pkce: Pkce, resource: str, scope: str | None
) -> str:
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "resource": resource,
    }
    if scope:
        params["scope"] = scope
        if "offline_access" in scope.split():
            params["prompt"] = "consent"  # OpenID Connect Core §11: offline_access needs consent
    joiner = "&" if urlsplit(endpoint).query else "?"
    return endpoint + joiner + urlencode(params)


def _authenticate(client: Client, form: dict[str, str]) -> dict[str, str]:
    """Add `client`'s authentication to a token-endpoint form; the extra headers to send."""
    form["client_id"] = client.client_id
    if client.auth_method == "client_secret_post" and client.client_secret:
        form["client_secret"] = client.client_secret
    elif client.auth_method == "client_secret_basic" and client.client_secret:
        pair = f"{quote(client.client_id, safe='')}:{quote(client.client_secret, safe='')}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii")}
    return {}


def exchange_code(
    http: httpx.Client,
    name: str,
    token_endpoint: str,
    client: Client,
    *,
    code: str,
    pkce: Pkce,
    redirect_uri: str,
    resource: str,
    clock: Callable[[], float] = time.time,
) -> Token:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": pkce.verifier,
        "resource": resource,
    }
    headers = _authenticate(client, form)
    return _token_answer(
        name, token_endpoint, post_form(http, name, token_endpoint, form, headers=headers), None, clock
    )


def refresh(
    http: httpx.Client,
    name: str,
    token_endpoint: str,
    client: Client,
    token: Token,
    *,
    resource: str,
    clock: Callable[[], float] = time.time,
) -> Token:
    assert token.refresh_token is not None
    form = {"grant_type": "refresh_token", "refresh_token": token.refresh_token, "resource": resource}
    headers = _authenticate(client, form)
    return _token_answer(
        name, token_endpoint, post_form(http, name, token_endpoint, form, headers=headers), token, clock
    )


def revoke(http: httpx.Client, name: str, endpoint: str, client: Client, *, token: str, hint: str) -> bool:
    """Ask the server to forget `token` (RFC 7009); True when it said so. Never raises: it is a courtesy."""
    form = {"token": token, "token_type_hint": hint}
    headers = _authenticate(client, form)
    try:
        return post_form(http, name, endpoint, form, headers=headers, timeout=REVOKE_TIMEOUT_S).status == 200
    except Exception:
        return False


def _token_answer(name: str, endpoint: str, answer: Any, previous: Token | None, clock: Callable[[], float]) -> Token:
    data = answer.json
    host = host_of(endpoint)
    if answer.status != 200:
        error = data.get("error") if data is not None else None
        if error == "invalid_grant":
            raise GrantRefused(server_text(data.get("error_description") or error) if data else "")
        if error == "invalid_client" or (answer.status == 401 and error is None):
            raise ClientRefused(server_text((data or {}).get("error_description") or error or "invalid_client"))
        said = f": {server_text(data.get('error_description') or error)}" if data and error else ""
        raise SignInFailed(name, host, f"the sign-in server refused to issue a token (HTTP {answer.status}){said}")
    if data is None or not isinstance(data.get("access_token"), str) or not data["access_token"]:
        raise SignInFailed(name, host, "the sign-in server answered without an access token")
    token_type = str(data.get("token_type") or "Bearer")
    if token_type.lower() != "bearer":
        raise SignInFailed(name, host, f"the sign-in server issued a {server_text(token_type)} token, not a bearer one")
    now = clock()
    expires_in = data.get("expires_in")
    try:
        expires_at = now + float(expires_in) if expires_in is not None else None
    except (TypeError, ValueError):
        expires_at = None
    refresh_token = data.get("refresh_token") if isinstance(data.get("refresh_token"), str) else None
    scope = data.get("scope") if isinstance(data.get("scope"), str) else None
    if previous is not None:
        refresh_token = refresh_token or previous.refresh_token
        scope = scope or previous.scope
    return Token(data["access_token"], refresh_token, expires_at, now, scope, "Bearer")
