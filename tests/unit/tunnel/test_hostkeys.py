"""Host key decisions: known, unknown (with fingerprint), changed (refused), hashed entries, key-type preference."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import paramiko
import pytest

from plugboard.core.tunnel.hostkeys import (
    ChangedHostKeyError,
    KnownHosts,
    UnknownHostKeyError,
    fingerprint,
)


@pytest.fixture(scope="module")
def keys() -> dict[str, paramiko.PKey]:
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    made: dict[str, paramiko.PKey] = {}
    for name in ("a", "b"):
        pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
        made[name] = paramiko.Ed25519Key.from_private_key(io.StringIO(pem.decode()))
    made["rsa"] = paramiko.RSAKey.generate(1024)
    return made


def files(tmp_path: Path) -> KnownHosts:
    return KnownHosts(own_file=tmp_path / "own" / "known_hosts", user_file=tmp_path / "user_known_hosts")


def line(host: str, key: paramiko.PKey) -> str:
    return f"{host} {key.get_name()} {key.get_base64()}\n"


def test_fingerprint_is_openssh_sha256_format(keys: dict[str, paramiko.PKey]):
    expected = base64.b64encode(hashlib.sha256(keys["a"].asbytes()).digest()).decode().rstrip("=")
    assert fingerprint(keys["a"]) == f"SHA256:{expected}"


def test_unknown_host_raises_with_the_fingerprint_and_accept_remembers_it_in_our_file_only(
    tmp_path: Path, keys: dict[str, paramiko.PKey]
):
    known = files(tmp_path)
    with pytest.raises(UnknownHostKeyError) as caught:
        known.check("example.org", 2222, keys["a"])
    assert caught.value.fingerprint == fingerprint(keys["a"])
    assert "[example.org]:2222" in str(caught.value)
    known.accept("example.org", 2222, keys["a"])
    known.check("example.org", 2222, keys["a"])
    assert not known.user_file.exists()
    assert known.own_file.read_text().startswith("[example.org]:2222 ssh-ed25519 ")
    assert oct(known.own_file.stat().st_mode & 0o777) == "0o600"


def test_a_changed_key_in_the_users_file_is_refused_with_both_fingerprints(
    tmp_path: Path, keys: dict[str, paramiko.PKey]
):
    known = files(tmp_path)
    known.user_file.write_text(line("example.org", keys["a"]))
    with pytest.raises(ChangedHostKeyError) as caught:
        known.check("example.org", 22, keys["b"])
    assert caught.value.old_fingerprint == fingerprint(keys["a"])
    assert caught.value.new_fingerprint == fingerprint(keys["b"])
    assert caught.value.source == known.user_file


def test_port_22_uses_the_bare_host_name_as_openssh_does(tmp_path: Path, keys: dict[str, paramiko.PKey]):
    known = files(tmp_path)
    known.user_file.write_text(line("example.org", keys["a"]))
    known.check("example.org", 22, keys["a"])
    with pytest.raises(UnknownHostKeyError):
        known.check("example.org", 2222, keys["a"])


def test_hashed_entries_match(tmp_path: Path, keys: dict[str, paramiko.PKey]):
    known = files(tmp_path)
    hashed = paramiko.HostKeys.hash_host("[example.org]:2222")
    known.user_file.write_text(line(hashed, keys["a"]))
    known.check("example.org", 2222, keys["a"])


def test_known_key_types_are_asked_for_first(tmp_path: Path, keys: dict[str, paramiko.PKey]):
    known = files(tmp_path)
    known.user_file.write_text(line("h", keys["rsa"]))
    offered = ("ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256")
    assert known.preferred_key_algorithms("h", 22, offered) == [
        "rsa-sha2-512",
        "rsa-sha2-256",
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
    ]
    assert known.preferred_key_algorithms("other", 22, offered) == list(offered)
