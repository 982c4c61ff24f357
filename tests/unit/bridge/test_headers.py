"""`--header` / `--bearer-secret`: the `${secret:KEY}` syntax, refusals, and the low-latency transport's hook."""

from __future__ import annotations

import pytest

from plugboard.core.bridge.headers import resolve_headers
from plugboard.core.bridge.http_session import new_client
from plugboard.core.errors import PlugboardError
from plugboard.core.secrets.keyring import MissingSecrets

SECRETS = {("catalyst", "API_KEY"): "k-123", ("catalyst", "TOKEN"): "t-456"}


def lookup(connector: str, key: str) -> str | None:
    return SECRETS.get((connector, key))


def test_secret_references_are_filled_from_the_keyring_entry_of_the_connector() -> None:
    headers, values = resolve_headers(
        "catalyst", ["X-Api-Key: ${secret:API_KEY}", "X-Mixed: a-${secret:TOKEN}-$${literal}-$5"], None, lookup
    )
    assert headers == {"X-Api-Key": "k-123", "X-Mixed": "a-t-456-${literal}-$5"}
    assert sorted(values) == ["k-123", "t-456"]


def test_bearer_secret_becomes_an_authorization_header() -> None:
    headers, values = resolve_headers("catalyst", [], "TOKEN", lookup)
    assert headers == {"Authorization": "Bearer t-456"}
    assert values == ["t-456"]


def test_a_missing_secret_names_the_command_that_sets_it() -> None:
    with pytest.raises(MissingSecrets) as caught:
        resolve_headers("catalyst", ["X-A: ${secret:NOPE}"], "ALSO_NOPE", lookup)
    assert "plugboard secret set catalyst ALSO_NOPE" in str(caught.value)
    assert "plugboard secret set catalyst NOPE" in str(caught.value)


@pytest.mark.parametrize(
    "spec", ["no colon", "Bad Name: x", "Accept: text/plain", "mcp-session-id: forged", "Host: evil"]
)
def test_malformed_or_protocol_owned_headers_are_refused(spec: str) -> None:
    with pytest.raises(PlugboardError):
        resolve_headers("catalyst", [spec], None, lookup)


def test_bearer_secret_and_an_authorization_header_together_are_refused() -> None:
    with pytest.raises(PlugboardError, match="not both"):
        resolve_headers("catalyst", ["Authorization: Basic abc"], "TOKEN", lookup)


def test_the_default_transport_installs_its_quickack_backend_on_httpx_pool() -> None:
    client = new_client(read_timeout_s=1.0)
    try:
        backend = client._transport._pool._network_backend  # type: ignore[attr-defined]
        assert type(backend).__name__ == "BridgeBackend"
        import socket

        if hasattr(socket, "TCP_QUICKACK"):
            assert backend.connect_tcp.__func__ is type(backend).connect_tcp  # type: ignore[attr-defined]
    finally:
        client.close()


def test_the_config_entry_has_the_design_shape_and_names_secrets_only() -> None:
    from plugboard.core.bridge.run import proxy_entry

    entry = proxy_entry(
        "catalyst",
        "http://127.0.0.1:5000/mcp",
        ssh="droplet",
        headers=["X-Team: ${secret:TEAM}"],
        bearer_secret="API_KEY",
    )
    assert entry["command"].endswith("plugboard")
    assert entry["args"] == [
        "proxy",
        "catalyst",
        "http://127.0.0.1:5000/mcp",
        "--ssh",
        "droplet",
        "--header",
        "X-Team: ${secret:TEAM}",
        "--bearer-secret",
        "API_KEY",
    ]
    with pytest.raises(PlugboardError):
        proxy_entry("catalyst", "http://x/mcp", headers=["Mcp-Session-Id: forged"])


@pytest.mark.parametrize("spec", ["Bearer abc123-Secret", "Bearer abc123-Secret: x", "abc123-Secret"])
def test_a_malformed_header_is_named_by_its_position_never_by_its_text(spec: str) -> None:
    with pytest.raises(PlugboardError) as caught:
        resolve_headers("catalyst", ["X-Team: a", spec], None, lookup)
    assert "abc123" not in str(caught.value)
    assert "--header number 2" in str(caught.value)
