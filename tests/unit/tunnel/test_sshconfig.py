"""Tunnel profiles from pasted ssh command lines and ~/.ssh/config aliases."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugboard.core.errors import PlugboardError
from plugboard.core.tunnel.sshconfig import from_ssh_command, from_ssh_config, split_forward

NO_CONFIG = Path("/nonexistent/ssh_config")


def test_the_issue_command_line_gives_every_field():
    profile = from_ssh_command(
        "droplet",
        "ssh -p 2222 -i ~/.ssh/droplet -J admin@bastion:2200 -L 5001:localhost:5000 trader@203.0.113.7",
        config_path=NO_CONFIG,
    )
    assert (profile.host, profile.port, profile.user) == ("203.0.113.7", 2222, "trader")
    assert profile.auth == "key" and profile.key_file == str(Path("~/.ssh/droplet").expanduser())
    assert profile.jump == "admin@bastion:2200"
    assert (profile.local_port, profile.remote_host, profile.remote_port) == (5001, "localhost", 5000)


def test_a_forward_without_a_local_port_picks_one_automatically():
    profile = from_ssh_command("d", ["ssh", "-L", "localhost:5000", "root@host"], config_path=NO_CONFIG)
    assert profile.local_port == 0 and profile.remote_port == 5000
    assert profile.auth == "agent"


def test_session_only_flags_are_ignored_and_attached_values_work():
    profile = from_ssh_command("d", "ssh -NTf -q -p2200 -L5000:127.0.0.1:5000 -o User=bob host", config_path=NO_CONFIG)
    assert (profile.port, profile.user, profile.local_port) == (2200, "bob", 5000)


def test_a_loopback_bind_address_is_accepted_and_any_other_is_refused():
    assert split_forward("127.0.0.1:5000:localhost:5000") == (5000, "localhost", 5000)
    with pytest.raises(PlugboardError, match=r"only listens on 127\.0\.0\.1"):
        split_forward("0.0.0.0:5000:localhost:5000")


def test_ipv6_remote_hosts_in_brackets_are_split_correctly():
    assert split_forward("5000:[::1]:5000") == (5000, "::1", 5000)


def test_a_remote_command_after_the_host_is_refused():
    with pytest.raises(PlugboardError, match="runs no remote command"):
        from_ssh_command("d", "ssh -L 5000:localhost:5000 host uptime", config_path=NO_CONFIG, default_user="u")


def test_a_command_without_a_forward_is_refused_with_the_fix():
    with pytest.raises(PlugboardError, match="add -L"):
        from_ssh_command("d", "ssh root@host", config_path=NO_CONFIG)


def test_two_forwards_are_refused_because_a_tunnel_carries_one():
    with pytest.raises(PlugboardError, match="one -L"):
        from_ssh_command("d", "ssh -L 1:a:1 -L 2:b:2 root@host", config_path=NO_CONFIG)


def test_ssh_config_alias_supplies_hostname_user_port_key_and_jump(tmp_path: Path):
    config = tmp_path / "config"
    config.write_text(
        "Host droplet\n"
        "  HostName 203.0.113.7\n"
        "  User trader\n"
        "  Port 2222\n"
        "  IdentityFile ~/.ssh/droplet_ed25519\n"
        "  ProxyJump admin@bastion\n"
        "  LocalForward 5001 localhost:5000\n"
        "Host *\n"
        "  User nobody\n"
    )
    profile = from_ssh_config("d", "droplet", config_path=config)
    assert (profile.host, profile.port, profile.user) == ("203.0.113.7", 2222, "trader")
    assert profile.key_file == str(Path("~/.ssh/droplet_ed25519").expanduser())
    assert profile.jump == "admin@bastion"
    assert (profile.local_port, profile.remote_host, profile.remote_port) == (5001, "localhost", 5000)


def test_a_pasted_command_naming_an_alias_reads_the_alias_and_flags_win(tmp_path: Path):
    config = tmp_path / "config"
    config.write_text("Host droplet\n  HostName 203.0.113.7\n  User trader\n  Port 2222\n")
    profile = from_ssh_command("d", "ssh -p 22 -L 5000:localhost:5000 droplet", config_path=config)
    assert (profile.host, profile.port, profile.user) == ("203.0.113.7", 22, "trader")


def test_a_proxyjump_chain_is_refused_plainly(tmp_path: Path):
    with pytest.raises(PlugboardError, match="one jump host"):
        from_ssh_command("d", "ssh -J a,b -L 5000:x:5000 root@host", config_path=NO_CONFIG)


def test_hosts_in_included_files_are_found_as_openssh_finds_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    ssh = tmp_path / ".ssh"
    (ssh / "config.d").mkdir(parents=True)
    (ssh / "config.d" / "10-droplet").write_text("Host droplet\n  HostName 203.0.113.7\n  User trader\n")
    (ssh / "config.d" / "20-other").write_text("Host other\n  HostName 198.51.100.1\n")
    (ssh / "config").write_text("Include config.d/*\nInclude missing-file\nHost *\n  Port 2222\n")
    profile = from_ssh_config("d", "droplet", forward="5000:localhost:5000", config_path=ssh / "config")
    assert (profile.host, profile.user, profile.port) == ("203.0.113.7", "trader", 2222)


def test_an_include_loop_is_refused_instead_of_recursing_forever(tmp_path: Path):
    config = tmp_path / "config"
    config.write_text(f"Include {config}\n")
    with pytest.raises(PlugboardError, match="nested more than"):
        from_ssh_config("d", "x", forward="1:a:1", config_path=config)


def test_a_pasted_command_that_is_not_ssh_is_refused_with_what_to_paste() -> None:
    import pytest

    from plugboard.core.errors import PlugboardError
    from plugboard.core.tunnel.sshconfig import from_ssh_command

    with pytest.raises(PlugboardError, match="that is a `scp` command; paste the `ssh -L"):
        from_ssh_command("x", "scp a b")
