"""The rules for `--oauth` entries (`bridge.oauth.entry`, `plugboard add --remote URL --oauth`), the loopback redirect
receiver (`bridge.oauth.loopback`) over real HTTP on 127.0.0.1, and the keyring's pieces for long sign-ins
(`secrets.keyring`, with an in-memory backend; the Secret Service itself is in tests/integration/bridge)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from plugboard.cli import main
from plugboard.core.bridge.oauth.entry import clean_scope, signing_entry, with_oauth
from plugboard.core.bridge.oauth.loopback import LoginTimedOut, LoopbackReceiver
from plugboard.core.entries import ProxyEntry
from plugboard.core.errors import PlugboardError
from plugboard.core.secrets import keyring as secrets

EXE = "/opt/plugboard/bin/plugboard"
URL = "https://notes.example.com/mcp"
# The receiver answers a local request in milliseconds.
HTTP_TIMEOUT_S = 10.0


def proxy(**fields: Any) -> dict[str, Any]:
    return ProxyEntry("notes", URL, program=EXE, **fields).to_json()


def test_with_oauth_adds_the_flags_in_their_place() -> None:
    entry = with_oauth(proxy(headers=("X-Team: blue",)), client_id="app-1", scope="  notes:read   notes:write ")

    assert entry["args"] == [
        "proxy",
        "notes",
        URL,
        "--header",
        "X-Team: blue",
        "--oauth",
        "--client-id",
        "app-1",
        "--scope",
        "notes:read notes:write",
    ]


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        ({"bearer_secret": "TOKEN"}, "either --oauth"),
        ({"headers": ("Authorization: Bearer ${secret:T}",)}, "either --oauth"),
        ({"ssh": "droplet"}, "SSH tunnel"),
    ],
)
def test_with_oauth_refuses_what_it_cannot_combine(fields: dict[str, Any], refusal: str) -> None:
    with pytest.raises(PlugboardError, match=refusal):
        with_oauth(proxy(**fields))


@pytest.mark.parametrize("client_id", ["", "has space", "tab\there", "x" * 513])
def test_a_client_id_that_is_not_one_is_refused(client_id: str) -> None:
    with pytest.raises(PlugboardError, match="--client-id"):
        with_oauth(proxy(), client_id=client_id)


def test_scopes_are_oauth_scope_tokens() -> None:
    assert clean_scope("a  b\tc") == "a b c"
    assert clean_scope("   ") is None
    with pytest.raises(PlugboardError, match="not an OAuth scope"):
        clean_scope('read "quoted"')


def test_login_and_logout_act_only_on_an_oauth_proxy_entry() -> None:
    assert signing_entry("notes", proxy(oauth=True)).oauth
    for entry in (proxy(), {"command": "npx", "args": ["x"]}):
        with pytest.raises(PlugboardError, match="does not sign in with OAuth"):
            signing_entry("notes", entry)


def test_plugboard_add_remote_oauth_writes_the_entry_and_says_how_to_sign_in(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["add", "notes", "--remote", URL, "--oauth", "--client-id", "app-1", "--scope", "notes:read"])

    assert code == 0
    args = json.loads(claude_config.read_text())["mcpServers"]["notes"]["args"]
    assert args == ["proxy", "notes", URL, "--oauth", "--client-id", "app-1", "--scope", "notes:read"]
    assert "plugboard login notes" in capsys.readouterr().out


def test_plugboard_add_refuses_oauth_flags_without_a_remote(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["add", "notes", "--oauth", "--", "npx", "x"])

    assert code == 1
    assert "--oauth, --client-id and --scope are for a remote server" in capsys.readouterr().err
    assert not claude_config.exists()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_receiver_ignores_other_paths_and_other_states_then_takes_this_sign_ins_redirect() -> None:
    pages: list[tuple[int, str]] = []

    def browser(_url: str) -> None:
        base = receiver.redirect_uri
        pages.append(_get(base.replace("/callback", "/favicon.ico")))
        pages.append(_get(f"{base}?code=evil&state=not-ours"))
        pages.append(_get(f"{base}?code=good&state=ours&iss=https%3A%2F%2Fid.example"))

    with LoopbackReceiver(service="id.example") as receiver:
        assert receiver.redirect_uri == f"http://127.0.0.1:{receiver.port}/callback"
        got = receiver.wait("https://id.example/authorize", "ours", open_url=browser, timeout_s=HTTP_TIMEOUT_S)

    assert (got.code, got.state, got.iss, got.error) == ("good", "ours", "https://id.example", None)
    assert [status for status, _ in pages] == [404, 400, 200]
    assert "You can close this tab" in pages[2][1] and "id.example" in pages[2][1]


def test_an_error_redirect_is_returned_and_shown_plainly() -> None:
    def browser(_url: str) -> None:
        pages.append(_get(f"{receiver.redirect_uri}?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state=s"))

    pages: list[tuple[int, str]] = []
    with LoopbackReceiver() as receiver:
        got = receiver.wait("https://id.example/authorize", "s", open_url=browser, timeout_s=HTTP_TIMEOUT_S)

    assert (got.code, got.error, got.error_description) == (None, "access_denied", "<b>no</b>")
    assert "&lt;b&gt;no&lt;/b&gt;" in pages[0][1]


def test_nobody_signing_in_ends_the_wait_with_its_own_message() -> None:
    opened = threading.Event()
    with LoopbackReceiver() as receiver, pytest.raises(LoginTimedOut, match="nobody finished signing in"):
        receiver.wait("https://id.example/authorize", "s", open_url=lambda _u: opened.set(), timeout_s=0.2)

    assert opened.is_set()


class MemoryBackend:
    """A keyring backend that, like Windows' Credential Manager, refuses values over 1,280 characters."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, name: str) -> str | None:
        return self.items.get((service, name))

    def set_password(self, service: str, name: str, value: str) -> None:
        if len(value) > 1280:
            raise AssertionError("too long for Windows' Credential Manager")
        self.items[(service, name)] = value

    def delete_password(self, service: str, name: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.items.pop((service, name), None) is None:
            raise PasswordDeleteError(name)


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> MemoryBackend:
    memory = MemoryBackend()
    monkeypatch.setattr(secrets, "backend", lambda: memory)
    monkeypatch.setattr(secrets, "keyring_configured", lambda: True)  # no Secret Service fast path
    return memory


def test_a_long_sign_in_is_kept_in_pieces_no_piece_too_long_for_windows(backend: MemoryBackend) -> None:
    value = "{" + "x" * 4321 + "}"

    secrets.set_credentials("https://h/mcp", value)

    assert secrets.get_credentials("https://h/mcp") == value
    assert len(backend.items) == 5
    assert all(service == secrets.CREDENTIALS_SERVICE for service, _ in backend.items)


def test_a_shorter_value_leaves_no_old_pieces_and_delete_removes_all(backend: MemoryBackend) -> None:
    secrets.set_credentials("https://h/mcp", "y" * 2500)
    secrets.set_credentials("https://h/mcp", "short")

    assert backend.items == {(secrets.CREDENTIALS_SERVICE, "https://h/mcp"): "short"}
    secrets.set_credentials("https://h/mcp", "z" * 2500)
    assert secrets.delete_credentials("https://h/mcp")
    assert backend.items == {}
    assert not secrets.delete_credentials("https://h/mcp")


def test_a_value_with_a_missing_piece_reads_as_none(backend: MemoryBackend) -> None:
    secrets.set_credentials("https://h/mcp", "w" * 2500)
    del backend.items[(secrets.CREDENTIALS_SERVICE, "https://h/mcp #2")]

    assert secrets.get_credentials("https://h/mcp") is None


def test_sign_ins_never_share_a_name_with_a_connectors_secret(backend: MemoryBackend) -> None:
    secrets.set_credentials("notes/TOKEN", "a sign-in")

    assert secrets.get_secret("notes", "TOKEN") is None
