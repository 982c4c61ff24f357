"""Host key checking for tunnels: the user's `~/.ssh/known_hosts` plus Plugboard's own file (FACTS.md §C.2).

The check runs after key exchange and before any authentication, so a password or a key signature never
reaches a server we have not verified. Outcomes:

- the offered key matches an entry in either file → go on;
- the host has an entry of the same key type that differs → `ChangedHostKeyError` showing old and new SHA256
  fingerprints; there is no way to override it from here (the user edits known_hosts, as with OpenSSH);
- no entry → `UnknownHostKeyError` with the SHA256 fingerprint; the caller asks the user and, on consent,
  calls `accept`, which appends to Plugboard's own file only. The user's file is never written.

Hashed entries (`|1|salt|hash`, OpenSSH's HashKnownHosts) match through paramiko's `HostKeys`. A non-default
port is spelled `[host]:port`, as OpenSSH does. `preferred_key_types` lets the connection ask first for the
key type we already know, as OpenSSH does, so a host known by its ECDSA key is not reported as unknown because
the server offered ed25519 first.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import paramiko

from plugboard.core.errors import PlugboardError
from plugboard.core.paths import ensure_dir

DEFAULT_SSH_PORT = 22

# paramiko names an RSA host key "ssh-rsa" whatever signature algorithm was negotiated; these are the ones we
# allow.
_RSA_ALGORITHMS = ("rsa-sha2-512", "rsa-sha2-256")


class HostKeyError(PlugboardError):
    """The server's host key is not one we may trust without asking."""


class UnknownHostKeyError(HostKeyError):
    def __init__(self, host: str, port: int, key: paramiko.PKey) -> None:
        self.host = host
        self.port = port
        self.key = key
        self.key_type = key.get_name()
        self.fingerprint = fingerprint(key)
        super().__init__(
            f"{host_entry(host, port)} is not a known host; its {self.key_type} key fingerprint is "
            f"{self.fingerprint} — check it with the server's owner, then accept it (--accept-new)"
        )


class ChangedHostKeyError(HostKeyError):
    def __init__(self, host: str, port: int, old: paramiko.PKey, new: paramiko.PKey, source: Path) -> None:
        self.host = host
        self.port = port
        self.old_fingerprint = fingerprint(old)
        self.new_fingerprint = fingerprint(new)
        self.source = source
        super().__init__(
            f"the host key of {host_entry(host, port)} CHANGED (known {self.old_fingerprint} in {source}, "
            f"offered {self.new_fingerprint}); refusing to connect — if the server was rebuilt, "
            f"remove the old entry from {source}"
        )


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's SHA256 fingerprint: `SHA256:` + unpadded base64 of the key blob's SHA-256."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def host_entry(host: str, port: int) -> str:
    return host if port == DEFAULT_SSH_PORT else f"[{host}]:{port}"


def default_user_known_hosts() -> Path:
    """`~/.ssh/known_hosts`, or `PLUGBOARD_USER_KNOWN_HOSTS` (tests point it at a temporary file)."""
    override = os.environ.get("PLUGBOARD_USER_KNOWN_HOSTS")
    if override:
        return Path(override)
    return Path.home() / ".ssh" / "known_hosts"


def _load(path: Path) -> paramiko.HostKeys:
    keys = paramiko.HostKeys()
    try:
        keys.load(str(path))
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        raise PlugboardError(f"{path}: cannot read known hosts: {exc}") from exc
    return keys


class KnownHosts:
    """The two known_hosts files, read fresh at every check (the user may edit them while a tunnel runs)."""

    def __init__(self, own_file: Path, user_file: Path | None = None) -> None:
        self.own_file = own_file
        self.user_file = user_file if user_file is not None else default_user_known_hosts()

    def _sources(self) -> list[tuple[Path, paramiko.HostKeys]]:
        return [(self.user_file, _load(self.user_file)), (self.own_file, _load(self.own_file))]

    def known_key_types(self, host: str, port: int) -> list[str]:
        types: list[str] = []
        entry = host_entry(host, port)
        for _path, keys in self._sources():
            found = keys.lookup(entry)
            if found:
                types.extend(t for t in found if t not in types)
        return types

    def preferred_key_algorithms(self, host: str, port: int, offered: tuple[str, ...]) -> list[str]:
        """`offered` reordered so the algorithms of keys we already know come first."""
        known: list[str] = []
        for key_type in self.known_key_types(host, port):
            known.extend(_RSA_ALGORITHMS if key_type == "ssh-rsa" else (key_type,))
        first = [a for a in known if a in offered]
        return first + [a for a in offered if a not in first]

    def check(self, host: str, port: int, key: paramiko.PKey) -> None:
        entry = host_entry(host, port)
        changed: tuple[Path, paramiko.PKey] | None = None
        for path, keys in self._sources():
            found = keys.lookup(entry)
            if not found:
                continue
            known = found.get(key.get_name())
            if known is None:
                continue
            if known == key:
                return
            changed = changed or (path, known)
        if changed is not None:
            raise ChangedHostKeyError(host, port, changed[1], key, changed[0])
        raise UnknownHostKeyError(host, port, key)

    def accept(self, host: str, port: int, key: paramiko.PKey) -> None:
        """Remember `key` for this host in Plugboard's own file (appended; existing lines are kept)."""
        ensure_dir(self.own_file.parent)
        line = f"{host_entry(host, port)} {key.get_name()} {key.get_base64()}\n"
        fd = os.open(self.own_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
