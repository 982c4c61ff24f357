"""Where sign-ins are kept: the OS keyring, one item per protected resource, and a lock every process shares.

The record of one MCP endpoint (keyring service `plugboard-oauth`, item named by the endpoint's canonical URL —
known before any network request, so a proxy with a stored token starts without one):

    {"version": 1, "resource": URL, "issuer": CURRENT ISSUER,
     "issuers": {ISSUER: {"server": {authorization server metadata}, "resource": RFC 8707 resource,
                          "client": {client id, kind, auth method, secret?, redirect uri},
                          "token": {access, refresh, expires_at, obtained_at, scope} | null}}}

So credentials are kept per (issuer, resource): a registration or a token is only ever sent to the issuer it came
from, and a resource whose metadata moves to another issuer keeps the old issuer's sign-in apart rather than
presenting it to the new one. The issuer's public metadata rides along, so a refresh needs no discovery.

Nothing of this is written to a file: the keyring is the only place (`secrets.keyring.get/set/delete_credentials`).
The lock is a file in Plugboard's state folder (`state/oauth/<hash>.lock`, holding nothing): every read-modify-write
of a record happens under it, and so does every refresh, from the reading of the record to the writing of the
rotated tokens. N proxies started at once with an expired token queue on the lock; the first refreshes, the others
find the new token in the keyring when their turn comes and send no request (`session.OAuthSession._renew`).
One `FileLock` per lock file per process (filelock's locks are re-entrant in the thread that holds them and
exclude the process's other threads), so a nested `locked()` never waits on itself.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from plugboard.core.bridge.oauth.challenge import canonical_resource
from plugboard.core.bridge.oauth.discovery import ServerMetadata
from plugboard.core.bridge.oauth.grants import Token
from plugboard.core.bridge.oauth.registration import Client
from plugboard.core.errors import PlugboardError
from plugboard.core.paths import PlugboardDirs, ensure_dir, plugboard_dirs

RECORD_VERSION = 1
# A holder does at most one token request (bounded by the OAuth client's 10 s connect + 30 s read) and a few keyring
# calls; 60 s covers that on a loaded machine. Longer means a stuck process: say so instead of hanging.
LOCK_TIMEOUT_S = 60.0

_file_locks: dict[str, Any] = {}
_file_locks_guard = threading.Lock()


@dataclass
class IssuerCredentials:
    server: ServerMetadata
    resource: str
    client: Client | None = None
    token: Token | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "server": self.server.to_json(),
            "resource": self.resource,
            "client": self.client.to_json() if self.client else None,
            "token": self.token.to_json() if self.token else None,
        }

    @classmethod
    def from_json(cls, data: object) -> IssuerCredentials | None:
        if not isinstance(data, dict) or not isinstance(data.get("server"), dict):
            return None
        server = ServerMetadata.from_json(data["server"])
        if server is None or not isinstance(data.get("resource"), str):
            return None
        return cls(server, data["resource"], Client.from_json(data.get("client")), Token.from_json(data.get("token")))


@dataclass
class Record:
    resource: str
    issuer: str | None = None
    issuers: dict[str, IssuerCredentials] = field(default_factory=dict)

    @property
    def current(self) -> IssuerCredentials | None:
        return self.issuers.get(self.issuer) if self.issuer else None

    def to_text(self) -> str:
        data = {
            "version": RECORD_VERSION,
            "resource": self.resource,
            "issuer": self.issuer,
            "issuers": {k: v.to_json() for k, v in self.issuers.items()},
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_text(cls, text: str, resource: str) -> Record | None:
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("version") != RECORD_VERSION:
            return None
        issuers = {}
        for issuer, value in (data.get("issuers") or {}).items():
            creds = IssuerCredentials.from_json(value)
            if creds is not None:
                issuers[str(issuer)] = creds
        current = data.get("issuer") if isinstance(data.get("issuer"), str) else None
        return cls(resource, current, issuers)

    def secret_values(self) -> list[str]:
        """Every value in the record that must never be shown: for redacting logs."""
        found: list[str] = []
        for creds in self.issuers.values():
            if creds.token:
                found += [v for v in (creds.token.access_token, creds.token.refresh_token) if v]
            if creds.client and creds.client.client_secret:
                found.append(creds.client.client_secret)
        return found


@dataclass(frozen=True)
class Keyring:
    """The three keyring calls the store makes; tests pass in-memory ones."""

    get: Callable[[str], str | None]
    set: Callable[[str, str], None]
    delete: Callable[[str], bool]

    @classmethod
    def system(cls) -> Keyring:
        from plugboard.core.secrets import keyring

        return cls(keyring.get_credentials, keyring.set_credentials, keyring.delete_credentials)


class CredentialStore:
    """The record of one endpoint, read and written under the shared lock."""

    def __init__(self, server_url: str, *, keyring: Keyring | None = None, dirs: PlugboardDirs | None = None) -> None:
        self.key = canonical_resource(server_url)
        self._keyring = keyring or Keyring.system()
        self._dirs = dirs or plugboard_dirs()
        digest = hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:32]
        self.lock_path = self._dirs.state / "oauth" / f"{digest}.lock"

    @contextmanager
    def locked(self, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
        """Hold the lock every process shares for this endpoint; `PlugboardError` after `timeout_s` (a look that
        must not wait behind a refresh passes a short one)."""
        from filelock import FileLock, Timeout

        ensure_dir(self.lock_path.parent)
        with _file_locks_guard:
            lock = _file_locks.get(str(self.lock_path))
            if lock is None:
                lock = _file_locks[str(self.lock_path)] = FileLock(str(self.lock_path))
        try:
            lock.acquire(timeout=timeout_s)
        except Timeout as exc:
            raise PlugboardError(self._stuck()) from exc
        try:
            yield
        finally:
            lock.release()

    def _stuck(self) -> str:
        return (
            f"another Plugboard process has been renewing the sign-in for {self.key} for over "
            f"{LOCK_TIMEOUT_S:.0f} s; try again (lock {self.lock_path})"
        )

    def read(self) -> Record | None:
        """The record (call under `locked()`); None when there is none or it cannot be read."""
        text = self._keyring.get(self.key)
        return Record.from_text(text, self.key) if text else None

    def write(self, record: Record) -> None:
        """Store `record` (call under `locked()`)."""
        self._keyring.set(self.key, record.to_text())

    def delete(self) -> bool:
        return self._keyring.delete(self.key)
