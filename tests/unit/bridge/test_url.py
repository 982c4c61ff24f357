"""A remote MCP address: the one rule that accepts it (`remote_url.url_problem`, used by `plugboard add --remote`,
`proxy_entry`, the proxy itself, its tunnel and the Remote wizard) and the one way it is shown (`display_url`);
and the plaintext-secret check on `--header` values before they reach Claude's file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plugboard.cli import main
from plugboard.core.bridge.run import proxy_entry
from plugboard.core.bridge.url import display_url, url_problem, url_secrets
from plugboard.core.errors import PlugboardError
from plugboard.core.probe import remote

SECRET = "pw-Vx93kq"


@pytest.mark.parametrize(
    "url",
    [
        f"https://ana:{SECRET}@mcp.example.com/mcp",
        "https://ghp_abcdefghijklmnop@mcp.example.com/mcp",
        f"https://mcp.example.com/mcp?api_key={SECRET}",
        f"https://mcp.example.com/mcp?region=eu&access_token={SECRET}",
        f"https://mcp.example.com/mcp?token={SECRET}",
        f"https://mcp.example.com/mcp?key={SECRET}",
        f"https://mcp.example.com/mcp?secret={SECRET}",
        f"https://mcp.example.com/mcp?password={SECRET}",
        "https://mcp.example.com/mcp?x=ghp_abcdefghijklmnopqrstuvwxyz",
        "https://mcp.example.com/ghp_abcdefghijklmnopqrstuvwxyz/mcp",
    ],
)
def test_credentials_in_an_address_are_refused_without_repeating_them(url: str) -> None:
    problem = url_problem(url)
    assert problem is not None
    assert "--bearer-secret" in problem
    assert SECRET not in problem and "ghp_" not in problem
    with pytest.raises(PlugboardError) as caught:
        proxy_entry("docs", url)
    assert SECRET not in str(caught.value) and "ghp_" not in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://mcp.example.com/mcp", "file:///tmp/x", "mcp.example.com/mcp", "ws://h:1/"])
def test_only_http_and_https_addresses_are_accepted(url: str) -> None:
    assert url_problem(url) == "The address must start with http:// or https://."
    with pytest.raises(PlugboardError):
        proxy_entry("docs", url)


@pytest.mark.parametrize(
    "url", ["https://mcp.example.com/mcp", "http://127.0.0.1:5000/mcp?region=eu", "http://[::1]:8080/mcp"]
)
def test_plain_addresses_are_accepted(url: str) -> None:
    assert url_problem(url) is None
    assert proxy_entry("docs", url)["args"][2] == url


def test_through_a_tunnel_the_address_is_http_with_a_port_and_the_wizard_asks_the_same_rule() -> None:
    cases = {
        "https://127.0.0.1:5000/mcp": "The address starts with http://",
        "http://127.0.0.1/mcp": "Add the port",
        "http://127.0.0.1:five/mcp": "The port in the address is not a number.",
        f"http://u:{SECRET}@127.0.0.1:5000/mcp": "user name or password",
    }
    for url, expected in cases.items():
        problem = url_problem(url, tunnel=True)
        assert problem is not None and expected in problem, url
        assert remote.url_problem(url) == problem
        with pytest.raises(PlugboardError) as caught:
            proxy_entry("catalyst", url, ssh="droplet")
        assert str(caught.value) == problem
    assert remote.url_problem("http://127.0.0.1:5000/mcp") is None


def test_display_url_drops_user_info_query_and_fragment_only() -> None:
    assert (
        display_url(f"https://ana:{SECRET}@h.example:8443/a/mcp?api_key={SECRET}#frag")
        == "https://h.example:8443/a/mcp"
    )
    assert display_url("http://[::1]:5000/mcp") == "http://[::1]:5000/mcp"
    assert SECRET not in display_url(f"http://[broken:{SECRET}/mcp")


# Passwords typed into an address without percent-encoding: a parser reads part of them as path, query or fragment.
UNENCODED = [
    "http://ana:Vx93/kq7Z@127.0.0.1:5000/mcp",
    "http://ana:Vx93#kq7Z@127.0.0.1:5000/mcp",
    "http://ana:Vx93?kq7Z@127.0.0.1:5000/mcp",
    "http://ana:Vx93/k#q?7Z@127.0.0.1:5000/mcp?region=eu",
]


@pytest.mark.parametrize("url", UNENCODED)
def test_a_password_with_an_unencoded_slash_hash_or_question_mark_is_refused_and_never_shown(url: str) -> None:
    password = url.split("ana:", 1)[1].rsplit("@", 1)[0]
    shown = display_url(url)
    assert shown == "http://127.0.0.1:5000/mcp"
    for tunnel in (False, True):
        problem = url_problem(url, tunnel=tunnel)
        assert problem is not None and "user name or password" in problem
        assert "Vx93" not in problem and "kq7Z" not in problem
    assert password in url_secrets(url)  # the redactor masks it wherever a library might quote the address


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:5000/users/@me/mcp", "http://127.0.0.1:5000/mcp?owner=ana@example.com"]
)
def test_a_literal_at_sign_must_be_percent_encoded(url: str) -> None:
    assert url_problem(url) is not None
    assert url_problem(url.replace("@", "%40")) is None


@pytest.mark.parametrize(
    "spec",
    [
        "Authorization: Bearer abc123",
        "X-Api-Key: k-live-42",
        "X-Anything: ghp_abcdefghijklmnopqrstuvwxyz",
        "Authorization: Bearer ghp_abcdefghijklmnopqrstuvwxyz ${secret:T}",
    ],
)
def test_a_header_holding_a_plaintext_secret_is_refused_before_it_reaches_claudes_file(spec: str) -> None:
    with pytest.raises(PlugboardError, match=r"plaintext value that looks secret") as caught:
        proxy_entry("docs", "https://mcp.example.com/mcp", headers=[spec])
    value = spec.partition(":")[2].strip()
    assert value.split()[-1] not in str(caught.value)
    assert "${secret:" in str(caught.value)


def test_headers_naming_keyring_secrets_or_plain_values_are_accepted() -> None:
    specs = ["Authorization: Bearer ${secret:TOKEN}", "X-Api-Key: ${secret:API_KEY}", "X-Team: research"]
    entry = proxy_entry("docs", "https://mcp.example.com/mcp", headers=specs)
    assert entry["args"][3:] == [word for spec in specs for word in ("--header", spec)]


def test_add_remote_refuses_a_secret_in_the_address_or_a_header_and_writes_nothing(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    claude_config.write_text('{"mcpServers": {}}')
    before = claude_config.read_bytes()
    assert main(["add", "docs", "--remote", f"https://mcp.example.com/mcp?api_key={SECRET}"]) == 1
    assert main(["add", "docs", "--remote", "https://mcp.example.com/mcp", "--header", f"X-Api-Key: {SECRET}"]) == 1
    assert claude_config.read_bytes() == before
    assert SECRET not in capsys.readouterr().err
    assert json.loads(before) == {"mcpServers": {}}
