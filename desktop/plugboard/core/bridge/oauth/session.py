"""`OAuthSession`: one connector's sign-in, as the relay and `plugboard login` / `logout` use it.

The relay's side (phase 2 wires it in; nothing here knows the relay):

    session = OAuthSession.for_entry(entry)          # or OAuthSession(name, url, client_id=…, scope=…)
    headers.update(session.headers())                # before every request: {"Authorization": "Bearer …"} or {}
    ... the server answers 401 (or 403 with error="insufficient_scope") ...
    session.on_unauthorized(response.headers.get("WWW-Authenticate"))   # then retry the request once
    session.secret_values()                          # tokens to redact from every log line
    session.close()

- `headers()` costs one keyring read the first time (no network: the record names the issuer and its token
  endpoint), then nothing while the token is fresh. An expired token is renewed before it is sent, under the lock
  every process shares (`store`): whoever gets the lock first refreshes, the others find its new token in the
  keyring and send no request of their own. Returns {} when nothing is known about this server yet, so the first
  request goes out bare and its 401 says where to sign in.
- `on_unauthorized(www_authenticate)` after a 401: with a token, it was refused — renew it (or take the one another
  process just stored); without one, follow the challenge (discovery) and look for a sign-in stored for that issuer.
  Returns when `headers()` has something new to send; raises `SignInRequired` when only a person can help, also when
  a token renewed for this very retry is refused again (so a retry loop cannot form).
- `login()` is the browser flow (`plugboard login NAME`; later the proxy itself on a first start): discovery, a client
  id (`registration`), PKCE, the loopback redirect, the state and `iss` checks, the code exchange; the result is
  stored for every process.
- `logout()` forgets the sign-in here (the keyring item goes) and asks the server to revoke the refresh token,
  as a courtesy that may fail.

Errors are `errors.SignInRequired` / `SignInUnreachable` / `SignInFailed`, each a sentence with the next step.
Thread-safe: the proxy's threads share one session (a re-entrant lock around its state).

For a connector (its entry in Claude's file), two module functions serve `plugboard login NAME` and the app's
"Sign in" button alike, so both run the very same sign-in: `sign_in(name, entry)` (the browser flow, then the
session closed) and `sign_out(name, entry)`. `stored_sign_in(entry)` says what the keyring holds for the
connector — whether the relay has a token it can send or renew without a person, and since when — without the
network, for the app's health of the connector (`probe.health`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from plugboard.core.bridge.oauth.challenge import bearer_challenge, host_of
from plugboard.core.bridge.oauth.errors import ENDED, MORE_SCOPE, NEEDED, SignInFailed, SignInRequired, server_text
from plugboard.core.bridge.oauth.grants import ClientRefused, GrantRefused, Token
from plugboard.core.bridge.oauth.registration import CLIENT_METADATA_URL, CONFIGURED, Client
from plugboard.core.bridge.oauth.store import CredentialStore, IssuerCredentials, Record
from plugboard.core.errors import PlugboardError

if TYPE_CHECKING:
    import httpx

    from plugboard.core.bridge.oauth.discovery import Discovery
    from plugboard.core.bridge.oauth.loopback import LoopbackReceiver
    from plugboard.core.entries import ProxyEntry

# A token renewed because the server refused the old one, and refused again this soon, means renewing does not help
# (a server that rejects this client's tokens, say): ask for a sign-in instead of renewing in a loop.
RENEWED_AND_REFUSED_WINDOW_S = 60.0
# A look at what is stored (`stored_sign_in`) waits this long for the shared lock: a refresh that holds it ends in
# well under a second; a look that finds it held longer says "cannot tell now" and looks again later.
PEEK_LOCK_S = 2.0


@dataclass(frozen=True)
class SignedIn:
    """What `login` achieved, for the message a person reads."""

    host: str
    scope: str | None
    client: str
    """How Plugboard identified itself: "configured", "metadata-document" or "registered"."""


@dataclass(frozen=True)
class StoredSignIn:
    """What the keyring holds for one connector's sign-in (`stored_sign_in`)."""

    host: str
    """The sign-in server's host (its issuer's), or the MCP server's while none is known."""
    usable: bool
    """A token the relay can send, or renew without a person (a refresh token and the client it belongs to)."""
    since: float | None = None
    """When the usable token was obtained (a sign-in or a renewal), epoch seconds."""


def stored_sign_in(
    entry: ProxyEntry, *, store: CredentialStore | None = None, clock: Callable[[], float] = time.time
) -> StoredSignIn | None:
    """What the keyring holds for `entry`'s sign-in, without the network; None when that cannot be told now (the
    keyring cannot be read, or another process holds the lock longer than `PEEK_LOCK_S`). The same rule as the
    relay's: `headers()` sends a fresh token, `_renew` needs a refresh token and the client it was issued to."""
    store = store or CredentialStore(entry.url)
    try:
        with store.locked(PEEK_LOCK_S):  # a record stored in pieces is read whole only under the lock
            record = store.read()
    except PlugboardError:
        return None
    creds = record.current if record else None
    host = host_of(record.issuer) if record and record.issuer else host_of(entry.url)
    token = creds.token if creds else None
    if creds is None or token is None:
        return StoredSignIn(host, usable=False)
    usable = token.fresh(clock()) or (token.refresh_token is not None and creds.client is not None)
    return StoredSignIn(host, usable, token.obtained_at if usable else None)


def sign_in(
    name: str,
    entry: Mapping[str, Any],
    *,
    show_url: Callable[[str], None] | None = None,
    open_url: Callable[[str], object] | None = None,
) -> SignedIn:
    """Sign connector `name` (its entry in Claude's file, a proxy entry with `--oauth`) in with the browser:
    `plugboard login NAME` and the app's Sign in button. `show_url` receives the address the browser is sent to."""
    from plugboard.core.bridge.oauth.entry import signing_entry

    session = OAuthSession.for_entry(signing_entry(name, entry))
    try:
        return session.login(show_url=show_url, open_url=open_url)
    finally:
        session.close()


def sign_out(name: str, entry: Mapping[str, Any]) -> bool:
    """Forget connector `name`'s sign-in (`plugboard logout NAME`); False when there was none."""
    from plugboard.core.bridge.oauth.entry import signing_entry

    session = OAuthSession.for_entry(signing_entry(name, entry))
    try:
        return session.logout()
    finally:
        session.close()


class OAuthSession:
    def __init__(
        self,
        name: str,
        server_url: str,
        *,
        client_id: str | None = None,
        scope: str | None = None,
        store: CredentialStore | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        client_metadata_url: str | None = CLIENT_METADATA_URL,
    ) -> None:
        self.name = name
        self.server_url = server_url
        self.client_id = client_id or None
        self.scope = scope or None
        self._store = store or CredentialStore(server_url)
        self._http = http
        self._own_http = http is None
        self._clock = clock
        self._metadata_url = client_metadata_url
        self._lock = threading.RLock()
        self._loaded = False
        self._issuer: str | None = None
        self._creds: IssuerCredentials | None = None
        self._renewed_for_retry: tuple[str, float] | None = None

    @classmethod
    def for_entry(cls, entry: ProxyEntry) -> OAuthSession:
        """The session of a `plugboard proxy … --oauth` entry."""
        return cls(entry.name, entry.url, client_id=entry.client_id, scope=entry.scope)

    # -- what the relay calls ------------------------------------------------------------------------------------

    def headers(self) -> dict[str, str]:
        with self._lock:
            if not self._loaded:
                with self._store.locked():
                    self._adopt(self._store.read())
                self._loaded = True
            token = self._creds.token if self._creds else None
            if token is None:
                if self._creds is not None:
                    raise SignInRequired(self.name, self._host(), NEEDED)
                return {}
            if not token.fresh(self._clock()):
                token = self._renew(token.access_token)
            return {"Authorization": f"Bearer {token.access_token}"}

    def on_unauthorized(self, www_authenticate: str | None) -> None:
        challenge = bearer_challenge(www_authenticate)
        with self._lock:
            token = self._creds.token if self._creds else None
            if challenge is not None and challenge.error == "insufficient_scope":
                raise SignInRequired(self.name, self._host(), MORE_SCOPE, challenge.scope)
            if token is not None:
                last = self._renewed_for_retry
                just_renewed = last is not None and last[0] == token.access_token
                if just_renewed and last and self._clock() - last[1] < RENEWED_AND_REFUSED_WINDOW_S:
                    raise SignInRequired(self.name, self._host(), ENDED)
                renewed = self._renew(token.access_token, refused=True)
                self._renewed_for_retry = (renewed.access_token, self._clock())
                return
            from plugboard.core.bridge.oauth.discovery import discover

            found = discover(self._client(), self.name, self.server_url, challenge)
            with self._store.locked():
                record = self._store.read()
                creds = record.issuers.get(found.issuer) if record else None
                if record is not None and creds is not None:
                    creds.server = found.server
                    record.issuer = found.issuer
                    self._store.write(record)
                self._adopt(record)
            self._loaded = True
            if creds is None or creds.token is None:
                raise SignInRequired(self.name, host_of(found.issuer), NEEDED)
            if not creds.token.fresh(self._clock()):
                self._renew(creds.token.access_token)

    def secret_values(self) -> list[str]:
        """Every token and client secret this session holds, for redacting log lines."""
        with self._lock:
            if self._creds is None:
                return []
            record = Record(self._store.key, self._issuer, {self._issuer or "": self._creds})
            return record.secret_values()

    def close(self) -> None:
        with self._lock:
            if self._own_http and self._http is not None:
                self._http.close()
                self._http = None

    # -- what `plugboard login` / `logout` call -----------------------------------------------------------------

    def login(
        self,
        *,
        open_url: Callable[[str], object] | None = None,
        show_url: Callable[[str], None] | None = None,
        timeout_s: float | None = None,
    ) -> SignedIn:
        """Sign in with the browser; the new sign-in is stored for every process. `show_url` receives the address
        the browser is sent to, for a person to open by hand if no browser opens."""
        from plugboard.core.bridge.oauth import grants, loopback, registration
        from plugboard.core.bridge.oauth.discovery import discover
        from plugboard.core.bridge.oauth.wire import probe_challenge

        http = self._client()
        status, header = probe_challenge(http, self.name, self.server_url)
        challenge = bearer_challenge(header) if status in (401, 403) else None
        found = discover(http, self.name, self.server_url, challenge)
        server = found.server
        with self._store.locked():
            record = self._store.read()
        known = record.issuers.get(found.issuer) if record else None
        client = known.client if known else None
        receiver = self._receiver(client, found)
        with receiver:
            redirect_uri = receiver.redirect_uri
            scope = self.scope or found.scope or (known.token.scope if known and known.token else None)
            if client is None or not client.fits(server, self.client_id, redirect_uri):
                client = registration.choose_client(
                    http,
                    self.name,
                    server,
                    configured_id=self.client_id,
                    redirect_uri=redirect_uri,
                    scope=scope,
                    metadata_url=self._metadata_url,
                )
                # Kept at once: a registration is not repeated because the person closed the browser tab.
                self._save(found, client, None)
            pkce = grants.Pkce.new()
            state = secrets.token_urlsafe(32)
            url = grants.authorization_url(
                server.authorization_endpoint,
                client,
                redirect_uri=redirect_uri,
                state=state,
                pkce=pkce,
                resource=found.resource,
                scope=scope,
            )
            if show_url is not None:
                show_url(url)
            answer = receiver.wait(url, state, open_url=open_url, timeout_s=timeout_s or loopback.LOGIN_TIMEOUT_S)
        host = host_of(found.issuer)
        if answer.error or not answer.code:
            said = server_text(answer.error_description or answer.error or "no authorization code came back")
            raise SignInFailed(self.name, host, f"the sign-in was not completed ({said})")
        if answer.iss is not None and answer.iss != server.issuer:
            raise SignInFailed(
                self.name, host, f"the answer came from another sign-in server ({server_text(answer.iss)})"
            )
        if answer.iss is None and server.iss_parameter_supported:
            raise SignInFailed(self.name, host, "the answer did not say which sign-in server sent it")
        try:
            token = grants.exchange_code(
                http,
                self.name,
                server.token_endpoint,
                client,
                code=answer.code,
                pkce=pkce,
                redirect_uri=redirect_uri,
                resource=found.resource,
                clock=self._clock,
            )
        except (GrantRefused, ClientRefused) as exc:
            raise SignInFailed(self.name, host, f"the sign-in server refused the sign-in ({exc})") from exc
        self._save(found, client, token)
        self._renewed_for_retry = None
        return SignedIn(host, token.scope or scope, client.kind)

    def logout(self) -> bool:
        """Forget the sign-in (all issuers' credentials for this endpoint); False when there was none."""
        from plugboard.core.bridge.oauth import grants

        with self._lock, self._store.locked():
            record = self._store.read()
            existed = self._store.delete() or record is not None
            self._creds, self._issuer, self._loaded = None, None, True
        for creds in record.issuers.values() if record else ():
            endpoint, token, client = creds.server.revocation_endpoint, creds.token, creds.client
            if endpoint and token and client and token.refresh_token:
                grants.revoke(
                    self._client(), self.name, endpoint, client, token=token.refresh_token, hint="refresh_token"
                )
        return existed

    # -- inside -------------------------------------------------------------------------------------------------

    def _client(self) -> httpx.Client:
        if self._http is None:
            from plugboard.core.bridge.oauth.wire import new_client

            self._http = new_client()
        return self._http

    def _host(self) -> str:
        return host_of(self._issuer or self.server_url)

    def _adopt(self, record: Record | None) -> None:
        self._issuer = record.issuer if record else None
        self._creds = record.current if record else None

    def _renew(self, rejected: str, *, refused: bool = False) -> Token:
        """A token to use instead of `rejected` (expired, or refused by the server when `refused`): the one another
        process stored meanwhile, else a refresh — both under the shared lock. `SignInRequired` when neither."""
        from plugboard.core.bridge.oauth import grants

        issuer = self._issuer
        with self._store.locked():
            record = self._store.read()
            creds = record.issuers.get(issuer) if record and issuer else None
            self._adopt(record)
            if record is None or creds is None:
                raise SignInRequired(self.name, self._host(), ENDED if refused else NEEDED)
            record.issuer, self._issuer, self._creds = issuer, issuer, creds
            token = creds.token
            if token is not None and token.access_token != rejected and token.fresh(self._clock()):
                return token  # another process (or thread) renewed it first
            if token is None or token.refresh_token is None or creds.client is None:
                raise SignInRequired(self.name, self._host(), ENDED)
            try:
                new = grants.refresh(
                    self._client(),
                    self.name,
                    creds.server.token_endpoint,
                    creds.client,
                    token,
                    resource=creds.resource,
                    clock=self._clock,
                )
            except GrantRefused:
                creds.token = None
                self._store.write(record)
                raise SignInRequired(self.name, self._host(), ENDED) from None
            except ClientRefused:
                creds.token = None
                if creds.client.kind != CONFIGURED:
                    creds.client = None  # the registration is gone: the next sign-in registers again
                self._store.write(record)
                raise SignInRequired(self.name, self._host(), ENDED) from None
            creds.token = new
            self._store.write(record)
            return new

    def _receiver(self, client: Client | None, found: Discovery) -> LoopbackReceiver:
        from plugboard.core.bridge.oauth.loopback import LoopbackReceiver

        service = host_of(found.issuer)
        port = _port_of(client.redirect_uri) if client and client.redirect_uri else 0
        if port:
            try:
                return LoopbackReceiver(port, service=service)
            except OSError:
                pass  # that port is taken now: a new port, and so a new registration
        return LoopbackReceiver(0, service=service)

    def _save(self, found: Discovery, client: Client, token: Token | None) -> None:
        with self._lock, self._store.locked():
            record = self._store.read() or Record(self._store.key)
            creds = record.issuers.get(found.issuer)
            if creds is None:
                creds = record.issuers[found.issuer] = IssuerCredentials(found.server, found.resource)
            creds.server, creds.resource, creds.client = found.server, found.resource, client
            if token is not None:
                creds.token = token
            record.issuer = found.issuer
            self._store.write(record)
            self._adopt(record)
            self._loaded = True


def _port_of(uri: str) -> int:
    from urllib.parse import urlsplit

    try:
        return urlsplit(uri).port or 0
    except ValueError:
        return 0
