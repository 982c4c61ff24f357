"""Tunnels against a real sshd: every login method, host keys checked before login, data through the forward."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from fixtures.sshd import PasswordUser, SshKeys, SshServer, Target
from plugboard.core.paths import plugboard_dirs
from plugboard.core.tunnel.hostkeys import UnknownHostKeyError
from plugboard.core.tunnel.profile import TunnelProfile
from plugboard.core.tunnel.tunnel import Tunnel

pytestmark = pytest.mark.usefixtures("user_known_hosts")

UP_TIMEOUT_S = 20.0  # a login on a loaded 2-core box; normally ~0.1 s
IO_TIMEOUT_S = 10.0


def profile_for(sshd: SshServer, target: Target, **changes: object) -> TunnelProfile:
    values: dict[str, object] = {
        "name": "droplet",
        "host": "127.0.0.1",
        "port": sshd.port,
        "user": "root",
        "auth": "key",
        "key_file": str(sshd.keys.ed25519),
        "remote_port": target.port,
    }
    values.update(changes)
    return TunnelProfile(**values)  # type: ignore[arg-type]


def trust(sshd: SshServer, known_hosts: Path) -> None:
    known_hosts.write_text(sshd.known_hosts_line())


def echo_through(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


def test_ed25519_key_login_forwards_bytes_both_ways(sshd: SshServer, echo_target: Target, user_known_hosts: Path):
    trust(sshd, user_known_hosts)
    with Tunnel(profile_for(sshd, echo_target)) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
        payload = bytes(range(256)) * 4096  # 1 MiB, every byte value
        assert echo_through(tunnel.local_port or 0, payload) == payload
    assert tunnel.state.kind == "stopped"
    assert sshd.wait_log("Accepted publickey for root")


def test_rsa_key_login_signs_with_sha2_because_the_server_refuses_sha1(
    sshd: SshServer, echo_target: Target, user_known_hosts: Path
):
    trust(sshd, user_known_hosts)
    with Tunnel(profile_for(sshd, echo_target, key_file=str(sshd.keys.rsa))) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
        assert echo_through(tunnel.local_port or 0, b"rsa") == b"rsa"
    assert sshd.wait_log("Accepted publickey for root from 127.0.0.1")
    assert "RSA SHA256:" in sshd.log_text()


def test_passphrase_protected_key_logs_in_with_the_passphrase_from_the_secret_store(
    sshd: SshServer, ssh_keys: SshKeys, echo_target: Target, user_known_hosts: Path
):
    trust(sshd, user_known_hosts)
    asked: list[tuple[str, str]] = []

    def get_secret(connector: str, key: str) -> str | None:
        asked.append((connector, key))
        return ssh_keys.passphrase if (connector, key) == ("tunnel:droplet", "passphrase") else None

    profile = profile_for(sshd, echo_target, key_file=str(ssh_keys.ed25519_protected))
    with Tunnel(profile, get_secret=get_secret) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
        assert echo_through(tunnel.local_port or 0, b"locked") == b"locked"
    assert asked == [("tunnel:droplet", "passphrase")]


def test_protected_key_without_a_stored_passphrase_fails_as_auth_and_says_how_to_fix_it(
    sshd: SshServer, ssh_keys: SshKeys, echo_target: Target, user_known_hosts: Path
):
    trust(sshd, user_known_hosts)
    with Tunnel(profile_for(sshd, echo_target, key_file=str(ssh_keys.ed25519_protected))) as tunnel:
        tunnel.start()
        assert not tunnel.wait_up(UP_TIMEOUT_S)
        state = tunnel.state
    assert state.kind == "failed"
    assert state.problem is not None and state.problem.kind == "auth"
    assert "plugboard secret set tunnel:droplet passphrase" in state.problem.message


def test_ssh_agent_login_uses_the_agents_key(
    sshd: SshServer, ssh_agent: str, echo_target: Target, user_known_hosts: Path
):
    trust(sshd, user_known_hosts)
    with Tunnel(profile_for(sshd, echo_target, auth="agent", key_file=None)) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
        assert echo_through(tunnel.local_port or 0, b"agent") == b"agent"
    assert sshd.wait_log("Accepted publickey for root")


def test_password_login_uses_the_password_from_the_secret_store(
    sshd: SshServer, password_user: PasswordUser, echo_target: Target, user_known_hosts: Path
):
    trust(sshd, user_known_hosts)
    profile = profile_for(sshd, echo_target, auth="password", key_file=None, user=password_user.name)
    with Tunnel(profile, get_secret=lambda _c, k: password_user.password if k == "password" else None) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
        assert echo_through(tunnel.local_port or 0, b"pw") == b"pw"
    assert sshd.wait_log(f"Accepted password for {password_user.name}")


def test_wrong_password_fails_once_as_auth_without_retrying(
    sshd: SshServer, password_user: PasswordUser, echo_target: Target, user_known_hosts: Path
):
    trust(sshd, user_known_hosts)
    profile = profile_for(sshd, echo_target, auth="password", key_file=None, user=password_user.name)
    states: list[str] = []
    with Tunnel(profile, get_secret=lambda _c, _k: "not-the-password") as tunnel:
        tunnel.subscribe(lambda s: states.append(s.kind))
        tunnel.start()
        assert not tunnel.wait_up(UP_TIMEOUT_S)
        assert tunnel.state.problem is not None and tunnel.state.problem.kind == "auth"
    assert states == ["connecting", "failed", "stopped"]
    assert sshd.log_text().count("Failed password") == 1


def test_unknown_host_is_refused_before_login_and_shows_the_sha256_fingerprint(sshd: SshServer, echo_target: Target):
    seen: list[UnknownHostKeyError] = []

    def refuse(error: UnknownHostKeyError) -> bool:
        seen.append(error)
        return False

    with Tunnel(profile_for(sshd, echo_target), confirm_host_key=refuse) as tunnel:
        tunnel.start()
        assert not tunnel.wait_up(UP_TIMEOUT_S)
        state = tunnel.state
    assert state.problem is not None and state.problem.kind == "hostkey"
    assert len(seen) == 1 and seen[0].fingerprint.startswith("SHA256:")
    assert seen[0].fingerprint in state.problem.message
    assert "Accepted" not in sshd.log_text()  # no login was attempted
    assert not plugboard_dirs().known_hosts.exists()


def test_unknown_host_accepted_by_consent_is_remembered_in_plugboards_own_file(
    sshd: SshServer, echo_target: Target, user_known_hosts: Path
):
    with Tunnel(profile_for(sshd, echo_target), confirm_host_key=lambda _e: True) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
    assert f"[127.0.0.1]:{sshd.port} ssh-ed25519 " in plugboard_dirs().known_hosts.read_text()
    assert user_known_hosts.read_text() == ""  # the user's file is never written
    # Next time no consent is needed.
    with Tunnel(profile_for(sshd, echo_target)) as again:
        again.start()
        assert again.wait_up(UP_TIMEOUT_S), again.state.describe()


def test_changed_host_key_is_refused_even_with_consent_and_shows_both_fingerprints(
    sshd: SshServer, ssh_keys: SshKeys, echo_target: Target, user_known_hosts: Path, tmp_path: Path
):
    other = tmp_path / "other_host_key"
    import subprocess

    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    user_known_hosts.write_text(sshd.known_hosts_line(other))
    with Tunnel(profile_for(sshd, echo_target), confirm_host_key=lambda _e: True) as tunnel:
        tunnel.start()
        assert not tunnel.wait_up(UP_TIMEOUT_S)
        state = tunnel.state
    assert state.problem is not None and state.problem.kind == "hostkey"
    assert "CHANGED" in state.problem.message
    assert state.problem.message.count("SHA256:") == 2
    assert "Accepted" not in sshd.log_text()


def test_hashed_known_hosts_entries_are_recognised(sshd: SshServer, echo_target: Target, user_known_hosts: Path):
    import subprocess

    trust(sshd, user_known_hosts)
    subprocess.run(["ssh-keygen", "-H", "-f", str(user_known_hosts)], check=True, capture_output=True)
    assert user_known_hosts.read_text().startswith("|1|")
    with Tunnel(profile_for(sshd, echo_target)) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()


def test_host_known_only_by_its_rsa_key_is_not_reported_unknown(
    sshd: SshServer, ssh_keys: SshKeys, echo_target: Target, user_known_hosts: Path
):
    user_known_hosts.write_text(sshd.known_hosts_line(ssh_keys.host_keys[2]))
    with Tunnel(profile_for(sshd, echo_target)) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()


def test_jump_host_carries_the_tunnel_through_a_nested_channel(
    sshd: SshServer, echo_target: Target, user_known_hosts: Path
):
    trust(sshd, user_known_hosts)
    profile = profile_for(sshd, echo_target, jump=f"root@127.0.0.1:{sshd.port}")
    with Tunnel(profile) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
        assert echo_through(tunnel.local_port or 0, b"jumped") == b"jumped"
    assert sshd.wait_log("Accepted publickey for root", count=2)


def test_wrong_stored_passphrase_fails_as_auth_and_says_so(
    sshd: SshServer, ssh_keys: SshKeys, echo_target: Target, user_known_hosts: Path
):
    trust(sshd, user_known_hosts)
    profile = profile_for(sshd, echo_target, key_file=str(ssh_keys.ed25519_protected))
    with Tunnel(profile, get_secret=lambda _c, _k: "wrong passphrase") as tunnel:
        tunnel.start()
        assert not tunnel.wait_up(UP_TIMEOUT_S)
        state = tunnel.state
    assert state.problem is not None and state.problem.kind == "auth"
    assert "stored passphrase" in state.problem.message


def test_a_plain_key_never_asks_the_secret_store(sshd: SshServer, echo_target: Target, user_known_hosts: Path):
    trust(sshd, user_known_hosts)

    def no_keyring(_connector: str, _key: str) -> str | None:
        raise AssertionError("the keyring was asked for a key that has no passphrase")

    with Tunnel(profile_for(sshd, echo_target), get_secret=no_keyring) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()


def test_many_concurrent_connections_each_get_their_own_bytes(
    sshd: SshServer, echo_target: Target, user_known_hosts: Path
):
    import threading

    trust(sshd, user_known_hosts)
    results: dict[int, bytes] = {}
    with Tunnel(profile_for(sshd, echo_target)) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()

        def client(i: int) -> None:
            results[i] = echo_through(tunnel.local_port or 0, bytes([i]) * 200_000)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(IO_TIMEOUT_S * 2)
    assert results == {i: bytes([i]) * 200_000 for i in range(16)}


def test_opt_in_pty_marks_the_connection_interactive_and_the_tunnel_still_forwards(
    sshd: SshServer, echo_target: Target, user_known_hosts: Path
):
    trust(sshd, user_known_hosts)
    with Tunnel(profile_for(sshd, echo_target, pty_nodelay=True)) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
        assert echo_through(tunnel.local_port or 0, b"pty") == b"pty"
    assert sshd.wait_log("Starting session: command on pts/")


def test_opt_in_pty_works_for_an_account_whose_shell_refuses_commands(
    sshd: SshServer, password_user: PasswordUser, echo_target: Target, user_known_hosts: Path
):
    trust(sshd, user_known_hosts)
    profile = profile_for(sshd, echo_target, auth="password", key_file=None, user=password_user.name, pty_nodelay=True)
    with Tunnel(profile, get_secret=lambda _c, _k: password_user.password) as tunnel:
        tunnel.start()
        assert tunnel.wait_up(UP_TIMEOUT_S), tunnel.state.describe()
        assert echo_through(tunnel.local_port or 0, b"nologin") == b"nologin"
