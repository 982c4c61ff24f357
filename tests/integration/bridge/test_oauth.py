"""Signing in with OAuth, end to end with real parts: the `mcp` SDK's authorization server and an MCP server that wants
its bearer (tests/servers/oauth_mcp.py, its own process), the real `plugboard` command, a headless stand-in for the
browser that `webbrowser` runs through `BROWSER` (tests/servers/headless_browser.py), the real Secret Service
(scripts/test-session.sh) and real client processes that use the stored sign-in as the relay will
(tests/servers/oauth_client.py).

After every scenario the token values (and the registration's client secret) are looked for where they must never
be: any file under the test's folder (Plugboard's state, logs, config; Claude's file), the output of every process,
and the command lines of the processes while they run.
"""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from integration.keyring_helpers import files_holding, keyring_items
from plugboard.core.bridge.oauth.store import CredentialStore, Record
from plugboard.core.install import entry_command
from plugboard.core.secrets import keyring as secrets
from servers.headless_browser import write_browser
from servers.http_backend import HERE as SERVERS
from servers.http_backend import Backend

# `plugboard login` starts, discovers, registers, runs the stand-in browser (a Python start) and exchanges the code:
# about a second here; a loaded machine with other tests running, many times that.
LOGIN_TIMEOUT_S = 90.0
# A client process starts Python, reads the keyring, maybe refreshes, and makes three MCP requests.
CLIENT_TIMEOUT_S = 60.0
NAME = "notes"

pytestmark = pytest.mark.usefixtures("secret_service", "claude_config")


@pytest.fixture
def server() -> Iterator[Backend]:
    with Backend("oauth_mcp.py") as backend:
        yield backend


@pytest.fixture
def browser(tmp_path: Path) -> dict[str, str]:
    """The environment that makes `webbrowser` run the headless stand-in, counting its visits in a file."""
    folder = tmp_path / "browser"
    folder.mkdir()
    return {"BROWSER": str(write_browser(folder)), "HEADLESS_BROWSER_VISITS": str(folder / "visits")}


def plugboard(*argv: str, timeout: float = LOGIN_TIMEOUT_S, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [entry_command(), *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env},
    )


def add(url: str, *flags: str) -> None:
    result = plugboard("add", NAME, "--remote", url, "--oauth", *flags)
    assert result.returncode == 0, result.stderr


def login(browser: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return plugboard("login", NAME, **browser)


def visits(browser: dict[str, str]) -> int:
    path = Path(browser["HEADLESS_BROWSER_VISITS"])
    return len(path.read_text().splitlines()) if path.exists() else 0


def stats(server: Backend) -> dict[str, int]:
    return dict(httpx.get(f"http://127.0.0.1:{server.port}/_test/stats", trust_env=False).json())


def admin(server: Backend, what: str) -> None:
    assert httpx.post(f"http://127.0.0.1:{server.port}/_test/{what}", trust_env=False).status_code == 200


def stored(url: str) -> Record | None:
    store = CredentialStore(url)
    with store.locked():
        return store.read()


def expire_stored_token(url: str) -> None:
    """Make the stored access token one that expired a minute ago, as if the proxy had been idle for an hour."""
    store = CredentialStore(url)
    with store.locked():
        record = store.read()
        assert record is not None and record.current is not None and record.current.token is not None
        token = record.current.token
        record.current.token = type(token)(**{**token.to_json(), "expires_at": token.obtained_at - 60})
        store.write(record)


class Client:
    """`oauth_client.py` as a child process; `--hold` keeps it alive after its answer until `release`."""

    def __init__(self, url: str, *, hold: bool = False) -> None:
        argv = [sys.executable, str(SERVERS / "oauth_client.py"), NAME, url, *(["--hold"] if hold else [])]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.stderr = ""

    def answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(CLIENT_TIMEOUT_S):
                self.proc.kill()
                raise TimeoutError(f"the client said nothing in {CLIENT_TIMEOUT_S:.0f} s")
        line = self.proc.stdout.readline()
        assert line, "the client exited without answering"
        return dict(json.loads(line))

    def cmdline(self) -> list[str]:
        return psutil.Process(self.proc.pid).cmdline()

    def release(self) -> None:
        _out, err = self.proc.communicate(b"\n", timeout=CLIENT_TIMEOUT_S)
        self.stderr = err.decode("utf-8", "replace")


def run_client(url: str) -> tuple[dict[str, Any], str]:
    client = Client(url)
    answer = client.answer()
    client.release()
    return answer, client.stderr


def secret_values(*records: Record | None) -> list[str]:
    found = [v for r in records if r is not None for v in r.secret_values()]
    assert found, "the test must have secrets to look for"
    return found


def assert_kept_secret(tmp_path: Path, values: list[str], *texts: str) -> None:
    for value in values:
        assert files_holding(tmp_path, value) == [], "a token reached a file"
        assert all(value not in text for text in texts), "a token reached a process's output"


def test_first_login_opens_the_browser_once_and_keeps_the_sign_in_only_in_the_keyring(
    server: Backend, browser: dict[str, str], tmp_path: Path
) -> None:
    add(server.url)

    result = login(browser)

    assert result.returncode == 0, result.stderr
    assert f'Signed in to 127.0.0.1:{server.port} for "{NAME}" (mcp:tools offline_access).' in result.stdout
    assert visits(browser) == 1
    assert stats(server) == {"registrations": 1, "authorization_code": 1}
    record = stored(server.url)
    assert record is not None and record.current is not None
    assert record.issuer == f"http://127.0.0.1:{server.port}"
    assert record.current.client is not None and record.current.client.kind == "registered"
    assert record.current.token is not None and record.current.token.refresh_token
    assert all(name.startswith(server.url) for name in keyring_items("plugboard-oauth"))  # one item, or its pieces
    assert keyring_items("plugboard") == {}
    answer, err = run_client(server.url)
    assert answer == {"ok": True, "echo": f"hello from {NAME}"}
    assert_kept_secret(tmp_path, secret_values(record), result.stdout, result.stderr, json.dumps(answer), err)


def test_a_stored_sign_in_is_reused_silently_by_later_processes(server: Backend, browser: dict[str, str]) -> None:
    add(server.url)
    assert login(browser).returncode == 0

    first, _ = run_client(server.url)
    second, _ = run_client(server.url)

    assert first["ok"] and second["ok"]
    assert visits(browser) == 1
    assert stats(server) == {"registrations": 1, "authorization_code": 1}


def test_an_expired_token_is_refreshed_before_it_is_sent_and_the_refresh_token_rotates(
    server: Backend, browser: dict[str, str], tmp_path: Path
) -> None:
    add(server.url)
    assert login(browser).returncode == 0
    before = stored(server.url)
    admin(server, "expire")
    expire_stored_token(server.url)

    answer, err = run_client(server.url)

    assert answer["ok"], answer
    assert stats(server)["refresh_token"] == 1
    after = stored(server.url)
    assert before is not None and after is not None
    assert before.current is not None and after.current is not None
    assert before.current.token is not None and after.current.token is not None
    assert after.current.token.access_token != before.current.token.access_token
    assert after.current.token.refresh_token != before.current.token.refresh_token
    assert visits(browser) == 1
    assert_kept_secret(tmp_path, secret_values(before, after), err, json.dumps(answer))


def test_a_token_the_server_refuses_before_its_time_is_renewed_after_the_401(
    server: Backend, browser: dict[str, str]
) -> None:
    add(server.url)
    assert login(browser).returncode == 0
    admin(server, "expire")  # the server ended it; the stored record still thinks it is fresh

    answer, _ = run_client(server.url)

    assert answer["ok"], answer
    assert stats(server)["refresh_token"] == 1


def test_four_processes_started_at_once_with_an_expired_token_refresh_once_and_all_work(
    server: Backend, browser: dict[str, str], tmp_path: Path
) -> None:
    add(server.url)
    assert login(browser).returncode == 0
    before = stored(server.url)
    admin(server, "expire")
    expire_stored_token(server.url)

    clients = [Client(server.url, hold=True) for _ in range(4)]
    answers = [c.answer() for c in clients]
    cmdlines = [" ".join(c.cmdline()) for c in clients]
    for c in clients:
        c.release()

    assert answers == [{"ok": True, "echo": f"hello from {NAME}"}] * 4
    counts = stats(server)
    assert counts["refresh_token"] == 1, counts  # exactly one refresh request reached the server
    assert counts.get("refresh_refused", 0) == 0
    after = stored(server.url)
    assert_kept_secret(
        tmp_path, secret_values(before, after), *cmdlines, *(c.stderr for c in clients), json.dumps(answers)
    )


def test_a_revoked_sign_in_says_to_sign_in_again_and_signing_in_again_works(
    server: Backend, browser: dict[str, str]
) -> None:
    add(server.url)
    assert login(browser).returncode == 0
    admin(server, "revoke")

    answer, _ = run_client(server.url)

    assert answer["ok"] is False and answer["kind"] == "SignInRequired"
    assert answer["error"] == (
        f'Your sign-in to 127.0.0.1:{server.port} for "{NAME}" has ended (revoked or expired); '
        f"sign in again: `plugboard login {NAME}`"
    )
    assert stats(server)["refresh_refused"] == 1
    again = login(browser)
    assert again.returncode == 0, again.stderr
    assert run_client(server.url)[0]["ok"]


def test_an_unreachable_authorization_server_gets_its_own_message_at_login(
    browser: dict[str, str], tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    with Backend("oauth_mcp.py", "--issuer", f"http://127.0.0.1:{dead}") as server:
        add(server.url)
        result = login(browser)

    assert result.returncode == 1
    assert result.stderr.strip() == (
        f'plugboard: Cannot reach the sign-in server 127.0.0.1:{dead} for "{NAME}" (connection refused); '
        "check the network connection and try again"
    )
    assert visits(browser) == 0
    assert keyring_items("plugboard-oauth") == {}


def test_an_unreachable_authorization_server_at_refresh_is_not_mistaken_for_an_ended_sign_in(
    browser: dict[str, str],
) -> None:
    with Backend("oauth_mcp.py") as server:
        add(server.url)
        assert login(browser).returncode == 0
        url, port = server.url, server.port
    expire_stored_token(url)

    answer, _ = run_client(url)

    assert answer["ok"] is False and answer["kind"] == "SignInUnreachable"
    assert answer["error"].startswith(f'Cannot reach the sign-in server 127.0.0.1:{port} for "{NAME}"')
    record = stored(url)
    assert record is not None and record.current is not None and record.current.token is not None  # kept for later


def test_a_configured_client_id_and_scope_sign_in_without_registering(browser: dict[str, str]) -> None:
    with Backend("oauth_mcp.py", "--client-id", "plugboard-test") as server:
        add(server.url, "--client-id", "plugboard-test", "--scope", "mcp:tools")
        result = login(browser)
        counts = stats(server)
        answer, _ = run_client(server.url)

    assert result.returncode == 0, result.stderr
    assert "(mcp:tools)" in result.stdout
    assert counts == {"authorization_code": 1}
    record = stored(server.url)
    assert record is not None and record.current is not None and record.current.client is not None
    assert (record.current.client.kind, record.current.client.client_id) == ("configured", "plugboard-test")
    assert answer["ok"], answer


def test_logout_forgets_the_sign_in_revokes_it_and_the_next_start_asks_for_a_sign_in(
    server: Backend, browser: dict[str, str]
) -> None:
    add(server.url)
    assert login(browser).returncode == 0

    result = plugboard("logout", NAME)
    answer, _ = run_client(server.url)

    assert result.returncode == 0, result.stderr
    assert f'Signed "{NAME}" out' in result.stdout
    assert keyring_items("plugboard-oauth") == {}
    assert stats(server)["revocations"] == 1
    assert answer == {
        "ok": False,
        "kind": "SignInRequired",
        "error": f'"{NAME}" needs you to sign in to 127.0.0.1:{server.port}: `plugboard login {NAME}`',
    }


def test_login_refuses_a_connector_that_does_not_sign_in() -> None:
    assert plugboard("add", "plain", "--remote", "http://127.0.0.1:9/mcp").returncode == 0

    result = plugboard("login", "plain")

    assert result.returncode == 1
    assert '"plain" does not sign in with OAuth' in result.stderr
    assert "--oauth" in result.stderr


def test_a_long_sign_in_is_stored_in_pieces_and_read_back_whole() -> None:
    value = json.dumps({"token": "x" * 3500})

    secrets.set_credentials("https://big.example/mcp", value)
    items = keyring_items("plugboard-oauth")
    read = secrets.get_credentials("https://big.example/mcp")
    secrets.set_credentials("https://big.example/mcp", '{"short": true}')
    shrunk = keyring_items("plugboard-oauth")

    assert read == value
    assert len(items) == 4 and all(len(v) <= secrets.CREDENTIALS_PIECE_CHARS for v in items.values())
    assert shrunk == {"https://big.example/mcp": '{"short": true}'}
    assert secrets.delete_credentials("https://big.example/mcp")
    assert keyring_items("plugboard-oauth") == {}
