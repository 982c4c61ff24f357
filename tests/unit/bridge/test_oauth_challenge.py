"""What a 401 says and where to look next (`bridge.oauth.challenge`): pure functions, no network."""

from __future__ import annotations

import pytest

from plugboard.core.bridge.oauth.challenge import (
    authorization_server_metadata_urls,
    bearer_challenge,
    canonical_resource,
    issuers_match,
    parse_challenges,
    protected_resource_metadata_urls,
    resource_covers,
)


def test_the_sdk_servers_challenge_gives_its_metadata_address_and_error() -> None:
    header = (
        'Bearer error="invalid_token", error_description="Authentication required", '
        'resource_metadata="http://127.0.0.1:5000/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"'
    )

    found = bearer_challenge(header)

    assert found is not None
    assert found.resource_metadata == "http://127.0.0.1:5000/.well-known/oauth-protected-resource/mcp"
    assert (found.error, found.scope) == ("invalid_token", "mcp:tools")


def test_several_challenges_in_one_header_are_told_apart_and_quoted_strings_unescaped() -> None:
    header = 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple", Bearer scope="a b"'

    found = parse_challenges(header)

    assert [c.scheme for c in found] == ["newauth", "basic", "bearer"]
    assert found[0].params == {"realm": "apps", "type": "1", "title": 'Login to "apps"'}
    assert bearer_challenge(header) == found[2]
    assert found[2].scope == "a b"


@pytest.mark.parametrize(
    ("header", "metadata"),
    [
        ("Bearer resource_metadata=https://h.example/.well-known/x, scope=s", "https://h.example/.well-known/x"),
        ('bearer RESOURCE_METADATA="https://h/m"', "https://h/m"),
        ("Bearer", None),
        ("Bearer abc123==", None),
    ],
)
def test_lenient_spellings_servers_send_are_read(header: str, metadata: str | None) -> None:
    found = bearer_challenge(header)

    assert found is not None
    assert found.resource_metadata == metadata


@pytest.mark.parametrize("header", [None, "", "Basic realm=x", "   ,  "])
def test_no_bearer_challenge_is_none(header: str | None) -> None:
    assert bearer_challenge(header) is None


def test_protected_resource_metadata_is_looked_for_in_the_specs_order() -> None:
    assert protected_resource_metadata_urls("https://h/hint", "https://h/api/mcp") == [
        "https://h/hint",
        "https://h/.well-known/oauth-protected-resource/api/mcp",
        "https://h/.well-known/oauth-protected-resource",
    ]
    assert protected_resource_metadata_urls(None, "https://H/") == ["https://h/.well-known/oauth-protected-resource"]


def test_authorization_server_metadata_is_path_aware_then_oidc() -> None:
    assert authorization_server_metadata_urls("https://id.example/tenant/") == [
        "https://id.example/.well-known/oauth-authorization-server/tenant",
        "https://id.example/.well-known/openid-configuration/tenant",
        "https://id.example/tenant/.well-known/openid-configuration",
    ]
    assert authorization_server_metadata_urls("https://id.example") == [
        "https://id.example/.well-known/oauth-authorization-server",
        "https://id.example/.well-known/openid-configuration",
    ]


def test_the_resource_indicator_is_canonical_and_covers_only_its_own_paths() -> None:
    assert canonical_resource("HTTPS://MCP.Example.com/Mcp#frag") == "https://mcp.example.com/Mcp"
    assert resource_covers("https://h/mcp", "https://h/mcp")
    assert resource_covers("https://h/mcp/x", "https://h/mcp/")
    assert resource_covers("https://h/mcp", "https://h")
    assert not resource_covers("https://h/mcp2", "https://h/mcp")
    assert not resource_covers("https://h/mcp", "https://other/mcp")
    assert not resource_covers("http://h/mcp", "https://h/mcp")


def test_issuers_are_compared_as_strings_except_a_root_trailing_slash() -> None:
    assert issuers_match("https://id.example", "https://id.example/")
    assert not issuers_match("https://id.example/t", "https://id.example/t/")
    assert not issuers_match("https://id.example", "https://evil.example")
