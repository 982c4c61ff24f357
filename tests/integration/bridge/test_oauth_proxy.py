"""`plugboard proxy NAME URL --oauth`: the relay sends the OAuth sign-in, renews it after a 401, and signs in from
the proxy itself on a first start — with real parts: the `mcp` SDK's authorization server in front of an SDK 2.3 MCP
server (tests/servers/oauth_mcp.py; it serves 2026-07-28 too, so the relay speaks that era to it), the headless
browser stand-in that `webbrowser` runs through `BROWSER`, the real Secret Service, and the proxy as a subprocess
driven by the `mcp` SDK client on stdio as Claude Desktop would.

After each scenario the token values are looked for where they must never be: any file under the test's folder (the
proxy's log and status record included) and what the proxy wrote.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from integration.bridge.test_oauth import (
    add,
    admin,
    assert_kept_secret,
    expire_stored_token,
    login,
    secret_values,
    stats,
    stored,
    visits,
)
from plugboard.core.bridge.era import Era, EraCache
from plugboard.core.install import entry_command
from plugboard.core.paths import plugboard_dirs
from servers.headless_browser import write_browser
from servers.http_backend import Backend

NAME = "notes"
# Start, sign in (a Python start for the stand-in browser, a registration, the code exchange), then one call: a
# second here, many on a loaded machine.
DEADLINE_S = 90.0
PASSED = ("PLUGBOARD_HOME", "PLUGBOARD_CLAUDE_CONFIG", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "PATH")

pytestmark = pytest.mark.usefixtures("secret_service", "claude_config")


@pytest.fixture
def server() -> Iterator[Backend]:
    with Backend("oauth_mcp.py") as backend:
        yield backend


@pytest.fixture
def browser(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "browser"
    folder.mkdir()
    return {"BROWSER": str(write_browser(folder)), "HEADLESS_BROWSER_VISITS": str(folder / "visits")}


def echo_through_proxy(url: str, env: dict[str, str], *flags: str) -> str:
    """Start `plugboard proxy NAME URL --oauth` as Claude does, call `echo`; the text, or the error's message."""
    passed = {key: os.environ[key] for key in PASSED if key in os.environ}
    params = StdioServerParameters(
        command=entry_command(), args=["proxy", NAME, url, "--oauth", *flags], env={**passed, **env}
    )
    said: list[str] = []

    async def scenario() -> None:
        from mcp.shared.exceptions import MCPError

        with anyio.fail_after(DEADLINE_S):
            try:
                async with Client(params, mode="legacy") as client:
                    result = await client.call_tool("echo", {"text": "through the proxy"})
                    said.append(str(result.content[0].text))  # type: ignore[union-attr]
            except* MCPError as group:
                said.extend(str(exc) for exc in _leaves(group))

    anyio.run(scenario)
    return said[0]


def _leaves(group: BaseException) -> list[BaseException]:
    if isinstance(group, BaseExceptionGroup):
        return [leaf for exc in group.exceptions for leaf in _leaves(exc)]
    return [group]


def _log() -> str:
    path = plugboard_dirs().connector_log(NAME)
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_a_first_start_without_a_sign_in_opens_the_browser_from_the_proxy_and_the_call_goes_through(
    server: Backend, browser: dict[str, str], tmp_path: Path
) -> None:
    assert echo_through_proxy(server.url, browser) == "through the proxy"

    assert visits(browser) == 1
    assert stats(server) == {"registrations": 1, "authorization_code": 1}
    record = stored(server.url)
    assert record is not None and record.current is not None and record.current.token is not None
    assert EraCache().get(server.url) is Era.MODERN  # the SDK 2.3 server is dual-era: spoken to in 2026-07-28
    log = _log()
    assert "opening the browser to sign in to 127.0.0.1" in log and "signed in to 127.0.0.1" in log
    assert_kept_secret(tmp_path, secret_values(record), log)


def test_a_stored_sign_in_is_sent_silently_and_an_expired_one_is_renewed_once(
    server: Backend, browser: dict[str, str], tmp_path: Path
) -> None:
    add(server.url)
    assert login(browser).returncode == 0
    before = stored(server.url)

    assert echo_through_proxy(server.url, browser) == "through the proxy"
    admin(server, "expire")
    expire_stored_token(server.url)
    assert echo_through_proxy(server.url, browser) == "through the proxy"

    assert visits(browser) == 1  # `plugboard login` only: the proxy never opened the browser
    counts = stats(server)
    assert counts["refresh_token"] == 1 and counts["registrations"] == 1, counts
    after = stored(server.url)
    assert_kept_secret(tmp_path, secret_values(before, after), _log())


def test_a_token_the_server_ended_early_is_renewed_after_its_401_and_the_call_retried(
    server: Backend, browser: dict[str, str]
) -> None:
    add(server.url)
    assert login(browser).returncode == 0
    admin(server, "expire")  # the stored record still thinks its token is fresh: the server's 401 says otherwise

    assert echo_through_proxy(server.url, browser) == "through the proxy"

    assert stats(server)["refresh_token"] == 1
    assert visits(browser) == 1


def test_without_a_browser_the_client_gets_the_sentence_that_says_how_to_sign_in(server: Backend) -> None:
    no_browser = {"BROWSER": "lynx"}  # a terminal browser: never started from the proxy (it would take Claude's pipes)

    said = echo_through_proxy(server.url, no_browser)

    assert f'"{NAME}" needs you to sign in to 127.0.0.1:{server.port}: `plugboard login {NAME}`' in said
    assert "no browser can be opened from here" in _log()
    assert stored(server.url) is None


def test_oauth_with_a_static_bearer_is_refused_in_plain_words(server: Backend) -> None:
    said = echo_through_proxy(server.url, {}, "--bearer-secret", "TOKEN")
    assert "use either --oauth" in said and "not both" in said
    assert stats(server) == {}  # refused before any request
