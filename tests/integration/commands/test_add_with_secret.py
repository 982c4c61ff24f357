"""`plugboard add NAME --secret KEY -- ...` against the real Secret Service: the value goes to the keyring only."""

import io
import json

import pytest

from plugboard.cli import main
from plugboard.core.install import entry_command
from plugboard.core.secrets import keyring as secrets

VALUE = "ghp_test-value-1234567890"


def test_add_with_a_secret_stores_it_in_the_keyring_and_writes_a_launcher_entry(
    secret_service, claude_config, isolated_home, monkeypatch, capsys
):
    monkeypatch.setattr("sys.stdin", io.StringIO(VALUE + "\n"))
    argv = ["add", "github", "--secret", "GITHUB_TOKEN", "--", "npx", "-y", "@modelcontextprotocol/server-github"]
    assert main(argv) == 0
    entry = json.loads(claude_config.read_text())["mcpServers"]["github"]
    assert entry == {
        "command": entry_command(),
        "args": ["run", "github", "--secret", "GITHUB_TOKEN", "--", "npx", "-y", "@modelcontextprotocol/server-github"],
    }
    assert secrets.get_secret("github", "GITHUB_TOKEN") == VALUE
    written = [p for p in [claude_config, *isolated_home.rglob("*")] if p.is_file()]
    assert all(VALUE.encode() not in p.read_bytes() for p in written)
    assert VALUE not in capsys.readouterr().out


def test_a_secret_already_in_the_keyring_is_used_without_asking(secret_service, claude_config, monkeypatch):
    secrets.set_secret("notion", "NOTION_TOKEN", VALUE)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["add", "notion", "--secret", "NOTION_TOKEN", "--", "npx", "notion-mcp"]) == 0
    assert secrets.get_secret("notion", "NOTION_TOKEN") == VALUE


@pytest.mark.parametrize("given", ["", "\n"])
def test_an_empty_secret_is_refused_and_nothing_is_written(secret_service, claude_config, monkeypatch, capsys, given):
    claude_config.write_text('{"mcpServers": {}}')
    monkeypatch.setattr("sys.stdin", io.StringIO(given))
    assert main(["add", "gh", "--secret", "TOKEN", "--", "npx", "x"]) == 1
    assert "Enter a value for the secret TOKEN: an empty secret is never stored." in capsys.readouterr().err
    assert claude_config.read_text() == '{"mcpServers": {}}'
    assert secrets.get_secret("gh", "TOKEN") is None


def test_add_remote_writes_a_proxy_entry_and_keeps_the_bearer_token_in_the_keyring(
    secret_service, claude_config, monkeypatch, capsys
):
    from plugboard.core.tunnel.profile import TunnelProfile, save_profile

    save_profile(TunnelProfile(name="droplet", host="203.0.113.7", user="trader", remote_port=5000))
    monkeypatch.setattr("sys.stdin", io.StringIO(VALUE + "\n"))
    argv = [
        "add",
        "catalyst",
        "--remote",
        "http://127.0.0.1:5000/mcp",
        "--ssh",
        "droplet",
        "--bearer-secret",
        "API_KEY",
    ]
    assert main(argv) == 0
    entry = json.loads(claude_config.read_text())["mcpServers"]["catalyst"]
    assert entry == {
        "command": entry_command(),
        "args": ["proxy", "catalyst", "http://127.0.0.1:5000/mcp", "--ssh", "droplet", "--bearer-secret", "API_KEY"],
    }
    assert secrets.get_secret("catalyst", "API_KEY") == VALUE
    assert VALUE not in claude_config.read_text()


def test_add_remote_through_an_unknown_tunnel_is_refused(secret_service, claude_config, capsys):
    assert main(["add", "catalyst", "--remote", "http://127.0.0.1:5000/mcp", "--ssh", "nope"]) == 1
    assert "no tunnel named 'nope'" in capsys.readouterr().err
    assert not claude_config.exists()
