"""Tunnel profiles: what a tunnel connects to and how it authenticates, kept in the store's "tunnels" section.

A profile holds no secret. A key passphrase or a password lives in the keyring under the connector name
`tunnel:<profile>` and the keys `passphrase` / `password` (see `secret_connector`), looked up when connecting.

Authentication is one explicit method, never a search: `agent` (ssh-agent via SSH_AUTH_SOCK), `key` (one key
file; the agent and the default key files are then not tried, which avoids OpenSSH's "Too many authentication
failures", paramiko#1390) or `password`. `local_port` 0 means "pick a free port once, then keep it across
reconnects".
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

from plugboard.core.errors import NotFoundError, PlugboardError
from plugboard.core.files.store import Store

AuthMethod = Literal["agent", "key", "password"]
AUTH_METHODS: tuple[AuthMethod, ...] = ("agent", "key", "password")

STORE_SECTION = "tunnels"
# Names of keyring entries, not secrets.
PASSPHRASE_KEY = "passphrase"  # noqa: S105
PASSWORD_KEY = "password"  # noqa: S105

# Watchdog defaults (issue 5: "around 5 s × 3"): a probe every 5 s, the connection declared dead when no reply
# has come for 3 intervals — a frozen server is noticed within 15 s, under the 20 s promise, while one lost
# reply on a slow link (a probe answer is a few hundred bytes) never drops a healthy tunnel.
DEFAULT_KEEPALIVE_INTERVAL_S = 5.0
DEFAULT_KEEPALIVE_COUNT = 3

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Endpoint:
    """A jump host: `user@host:port` (user and port optional)."""

    host: str
    port: int = 22
    user: str | None = None

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        user: str | None = None
        rest = text.strip()
        if "@" in rest:
            user, rest = rest.rsplit("@", 1)
        port = 22
        if rest.startswith("["):
            host, _, tail = rest[1:].partition("]")
            if tail.startswith(":"):
                port = _port(tail[1:], text)
        elif rest.count(":") == 1:
            host, port_text = rest.split(":")
            port = _port(port_text, text)
        else:
            host = rest
        if not host:
            raise PlugboardError(f"{text!r} is not a host (expected [user@]host[:port])")
        return cls(host=host, port=port, user=user or None)

    def __str__(self) -> str:
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{user}{host}:{self.port}" if self.port != 22 else f"{user}{host}"


def _port(text: str, whole: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise PlugboardError(f"{whole!r}: {text!r} is not a port number") from None
    if not 0 < port < 65536:
        raise PlugboardError(f"{whole!r}: port {port} is out of range")
    return port


@dataclass(frozen=True)
class TunnelProfile:
    name: str
    host: str
    user: str
    remote_port: int
    port: int = 22
    remote_host: str = "127.0.0.1"
    local_port: int = 0
    auth: AuthMethod = "agent"
    key_file: str | None = None
    jump: str | None = None
    auto_start: bool = False
    # Opt-in: run `true` in a pty once per connection so sshd turns Nagle off (see session._mark_interactive);
    # for macOS and Windows, which have no TCP_QUICKACK to re-arm.
    pty_nodelay: bool = False
    keepalive_interval_s: float = DEFAULT_KEEPALIVE_INTERVAL_S
    keepalive_count: int = DEFAULT_KEEPALIVE_COUNT
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise PlugboardError(
                f"{self.name!r} is not a tunnel name (letters, digits, '.', '_' or '-', up to 64 characters)"
            )
        if self.auth not in AUTH_METHODS:
            raise PlugboardError(f"unknown authentication {self.auth!r} (use one of {', '.join(AUTH_METHODS)})")
        if self.auth == "key" and not self.key_file:
            raise PlugboardError(f"tunnel {self.name!r} uses key authentication but names no key file")
        for label, value in (("port", self.port), ("remote port", self.remote_port)):
            if not 0 < value < 65536:
                raise PlugboardError(f"tunnel {self.name!r}: {label} {value} is out of range")
        if not 0 <= self.local_port < 65536:
            raise PlugboardError(f"tunnel {self.name!r}: local port {self.local_port} is out of range")
        if self.keepalive_interval_s <= 0 or self.keepalive_count < 1:
            raise PlugboardError(f"tunnel {self.name!r}: keepalive interval and count must be positive")
        if self.jump is not None:
            Endpoint.parse(self.jump)

    @property
    def secret_connector(self) -> str:
        return f"tunnel:{self.name}"

    @property
    def jump_endpoint(self) -> Endpoint | None:
        return Endpoint.parse(self.jump) if self.jump else None

    def describe(self) -> str:
        local = self.local_port or "auto"
        via = f" via {self.jump}" if self.jump else ""
        remote = f"{self.remote_host}:{self.remote_port}"
        return f"127.0.0.1:{local} → {self.user}@{self.host}:{self.port}{via} → {remote}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        data.pop("name")
        return {**extra, **data}

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> TunnelProfile:
        known = {f.name for f in fields(cls)} - {"name", "extra"}
        values = {k: v for k, v in data.items() if k in known}
        # Keys written by a newer Plugboard survive a round trip through this one.
        extra = {k: v for k, v in data.items() if k not in known}
        try:
            return cls(name=name, extra=extra, **values)
        except TypeError as exc:
            raise PlugboardError(f"tunnel profile {name!r} in the store is incomplete ({exc})") from exc

    def with_changes(self, **changes: Any) -> TunnelProfile:
        return replace(self, **changes)


def load_profiles(store: Store | None = None) -> dict[str, TunnelProfile]:
    section = (store or Store()).read().get(STORE_SECTION) or {}
    return {name: TunnelProfile.from_dict(name, data) for name, data in sorted(section.items())}


def load_profile(name: str, store: Store | None = None) -> TunnelProfile:
    profiles = load_profiles(store)
    try:
        return profiles[name]
    except KeyError:
        known = ", ".join(profiles) or "none yet"
        raise NotFoundError(f"no tunnel named {name!r} (known: {known})") from None


def save_profile(profile: TunnelProfile, store: Store | None = None, *, replace_existing: bool = False) -> None:
    def change(data: dict[str, Any]) -> None:
        section = data.setdefault(STORE_SECTION, {})
        if profile.name in section and not replace_existing:
            raise PlugboardError(f"a tunnel named {profile.name!r} already exists (use --replace to overwrite it)")
        section[profile.name] = profile.to_dict()

    (store or Store()).update(change)


def delete_profile(name: str, store: Store | None = None) -> None:
    def change(data: dict[str, Any]) -> None:
        section = data.setdefault(STORE_SECTION, {})
        if name not in section:
            raise NotFoundError(f"no tunnel named {name!r}")
        del section[name]

    (store or Store()).update(change)
