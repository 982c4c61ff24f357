"""`plugboard tunnel ...` end to end: a profile pasted as an ssh command, `up` in its own process, `status` and
`down` from others, against a real sshd."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.sshd import SshServer, Target
from plugboard.cli import main

pytestmark = pytest.mark.usefixtures("user_known_hosts")

UP_TIMEOUT_S = 30.0  # includes the interpreter start of `plugboard tunnel up`
EXIT_TIMEOUT_S = 20.0


def plugboard(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plugboard", *argv],
        capture_output=True,
        text=True,
        timeout=EXIT_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def add_droplet(sshd: SshServer, target: Target, local_port: int = 0) -> None:
    code = main(
        [
            "tunnel",
            "add",
            "droplet",
            "--",
            "ssh",
            "-p",
            str(sshd.port),
            "-i",
            str(sshd.keys.ed25519),
            "-N",
            "-L",
            f"{local_port}:127.0.0.1:{target.port}",
            "root@127.0.0.1",
        ]
    )
    assert code == 0


def start_up(*extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "plugboard", "tunnel", "up", "droplet", "--json", *extra],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_until_state(proc: subprocess.Popen[str], wanted: str) -> dict[str, object]:
    assert proc.stdout is not None
    while True:
        ready, _, _ = select.select([proc.stdout], [], [], UP_TIMEOUT_S)
        assert ready, f"no state change within {UP_TIMEOUT_S} s"
        line = proc.stdout.readline()
        assert line, f"`tunnel up` ended early: {proc.stderr.read() if proc.stderr else ''}"
        event = json.loads(line)
        if event["state"] == wanted:
            return event


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        _out, err = proc.communicate(timeout=EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate(timeout=EXIT_TIMEOUT_S)
    return proc.returncode, err


def test_add_from_a_pasted_ssh_command_stores_the_profile(
    sshd: SshServer, echo_target: Target, capsys: pytest.CaptureFixture[str]
):
    add_droplet(sshd, echo_target, local_port=15000)
    capsys.readouterr()
    assert main(["tunnel", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["name"] == "droplet"
    assert (row["host"], row["port"], row["user"]) == ("127.0.0.1", sshd.port, "root")
    assert (row["auth"], row["key_file"]) == ("key", str(sshd.keys.ed25519))
    assert (row["local_port"], row["remote_host"], row["remote_port"]) == (15000, "127.0.0.1", echo_target.port)
    assert row["running"] is False


def test_up_runs_until_down_and_status_shows_it_from_another_process(
    sshd: SshServer, echo_target: Target, user_known_hosts: Path
):
    user_known_hosts.write_text(sshd.known_hosts_line())
    add_droplet(sshd, echo_target)
    proc = start_up()
    try:
        event = read_until_state(proc, "up")
        port = int(str(event["local_port"]))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"hello")
            assert sock.recv(5) == b"hello"
        status = plugboard("tunnel", "status", "droplet", "--json")
        assert status.returncode == 0, status.stderr
        record = json.loads(status.stdout)
        assert (record["state"], record["pid"], record["local_port"]) == ("up", proc.pid, port)
        down = plugboard("tunnel", "down", "droplet")
        assert down.returncode == 0, down.stderr
    finally:
        code, err = finish(proc)
    assert code == 0, err
    assert "stopped" in err
    after = plugboard("tunnel", "status", "droplet", "--json")
    assert json.loads(after.stdout)["state"] == "stopped"


def test_sigterm_stops_up_cleanly_and_releases_the_port(sshd: SshServer, echo_target: Target, user_known_hosts: Path):
    user_known_hosts.write_text(sshd.known_hosts_line())
    add_droplet(sshd, echo_target)
    proc = start_up()
    try:
        port = int(str(read_until_state(proc, "up")["local_port"]))
        proc.send_signal(signal.SIGTERM)
    finally:
        code, err = finish(proc)
    assert code == 0, err
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # free again


def test_unknown_host_without_accept_new_fails_with_the_fingerprint_and_accept_new_trusts_it(
    sshd: SshServer, echo_target: Target
):
    add_droplet(sshd, echo_target)
    refused = plugboard("tunnel", "up", "droplet")
    assert refused.returncode == 1
    assert "not a known host" in refused.stderr and "SHA256:" in refused.stderr
    assert "--accept-new" in refused.stderr
    proc = start_up("--accept-new")
    try:
        read_until_state(proc, "up")
        os.kill(proc.pid, signal.SIGINT)
    finally:
        code, err = finish(proc)
    assert code == 0, err
    assert "trusting new host" in err


def up_with_terminal_answer(answer: bytes) -> tuple[subprocess.Popen[str], int]:
    """`tunnel up` with a terminal on stdin that has `answer` already typed."""
    import pty

    master, slave = pty.openpty()
    os.write(master, answer)
    proc = subprocess.Popen(
        [sys.executable, "-m", "plugboard", "tunnel", "up", "droplet", "--json"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(slave)
    return proc, master


def test_unknown_host_asks_on_a_terminal_and_yes_trusts_it(sshd: SshServer, echo_target: Target):
    from plugboard.core.paths import plugboard_dirs

    add_droplet(sshd, echo_target)
    proc, master = up_with_terminal_answer(b"y\n")
    try:
        assert proc.stdout is not None
        read_until_state(proc, "up")
        proc.send_signal(signal.SIGTERM)
    finally:
        code, err = finish(proc)
        os.close(master)
    assert code == 0, err
    assert "Trust this host? [y/N]" in err and "SHA256:" in err
    assert f"[127.0.0.1]:{sshd.port} ssh-ed25519" in plugboard_dirs().known_hosts.read_text()


def test_unknown_host_answered_no_on_a_terminal_is_refused(sshd: SshServer, echo_target: Target):
    from plugboard.core.paths import plugboard_dirs

    add_droplet(sshd, echo_target)
    proc, master = up_with_terminal_answer(b"n\n")
    try:
        code, err = finish(proc)
    finally:
        os.close(master)
    assert code == 1
    assert "not a known host" in err
    assert not plugboard_dirs().known_hosts.exists()
