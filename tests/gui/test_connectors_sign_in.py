"""A remote connector that signs in (`--oauth`), in the app (issue 15): without a usable sign-in its row says "Sign in
needed", its row menu and its Test result offer Sign in, and Sign in runs the same sign-in as `plugboard login NAME`
on a worker — the system browser, here the headless stand-in that `webbrowser` runs through `BROWSER` — then tests
the connector again: signed in, it works and no longer says so.

Real parts: the `mcp` SDK's authorization server in front of an SDK MCP server (tests/servers/oauth_mcp.py, its own
process), the real Secret Service (scripts/test-session.sh), the real `plugboard proxy … --oauth` started by Test.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gui import states
from gui.conftest import NotRunning
from integration.bridge.test_oauth import assert_kept_secret, secret_values, stored, visits
from plugboard.core.config.connectors import Connectors
from plugboard.core.entries import ProxyEntry
from plugboard.core.probe.health import HealthState
from plugboard.core.probe.verdict import Action
from plugboard.gui.connectors_page import ConnectorsPage
from servers.headless_browser import write_browser
from servers.http_backend import Backend

NAME = "notes"
# The health model looks at the keyring as soon as it follows a connector: a keyring read on its thread.
LOOK_MS = 10_000
# A Test starts `plugboard proxy` (a Python start) and shakes hands through it: seconds; 60 s bounds a stuck one.
TEST_MS = 60_000
# Sign in: discovery, a registration, the stand-in browser (a Python start) and the code exchange: about a second
# here, many on a loaded machine.
SIGN_IN_MS = 90_000

pytestmark = pytest.mark.usefixtures("secret_service")


@pytest.fixture
def server() -> Iterator[Backend]:
    with Backend("oauth_mcp.py") as backend:
        yield backend


def use_browser(monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    """Set BROWSER for this process and the processes it starts; `webbrowser` registers browsers once per process,
    so that is forgotten."""
    monkeypatch.setenv("BROWSER", command)
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # private: the only way to make it read BROWSER again
    monkeypatch.setattr(webbrowser, "_browsers", {})


@pytest.fixture
def page(qtbot: Any, claude_config: Path, server: Backend) -> Iterator[ConnectorsPage]:
    entry = ProxyEntry.new(NAME, server.url, oauth=True).to_json()
    claude_config.write_text(states.config({NAME: entry}))
    made = ConnectorsPage(Connectors.open(str(claude_config)), NotRunning())  # type: ignore[arg-type]
    qtbot.addWidget(made)
    made.show()
    qtbot.waitUntil(lambda: made.claude_known, timeout=LOOK_MS)
    yield made
    made.shutdown()


def row(page: ConnectorsPage) -> Any:
    return page.model.row(page.model.find(NAME))


def test_without_a_sign_in_the_row_says_so_and_sign_in_from_the_test_result_makes_it_work(
    qtbot: Any, page: ConnectorsPage, server: Backend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Only a browser that draws in a terminal: the proxy a Test starts cannot sign in by itself.
    use_browser(monkeypatch, "lynx")
    qtbot.waitUntil(lambda: row(page).status == "Sign in needed", timeout=LOOK_MS)  # nothing in the keyring
    assert row(page).light == "bad" and row(page).health.state is HealthState.SIGN_IN
    assert page.select(NAME)
    assert "Sign in…" in [a.text() for a in page.row_menu().actions()]

    page.test_connector(NAME)
    qtbot.waitUntil(lambda: page.testing is None and not page.tests and page.card.name == NAME, timeout=TEST_MS)
    assert page.card.headline.text() == f"{NAME}: Sign in needed"
    assert f"127.0.0.1:{server.port}" in page.card.advice.text()
    assert row(page).status == "Sign in needed"
    assert states.technical_words(page) == []
    button = page.card.button(Action.SIGN_IN)
    assert button is not None and button.text() == "Sign in…"

    folder = tmp_path / "browser"
    folder.mkdir()
    use_browser(monkeypatch, str(write_browser(folder)))
    monkeypatch.setenv("HEADLESS_BROWSER_VISITS", str(folder / "visits"))
    with qtbot.waitSignal(page.signed_in, timeout=SIGN_IN_MS):
        button.click()
    assert row(page).status != "Sign in needed"  # signed in: no such state, even before the Test ends
    qtbot.waitUntil(lambda: page.testing is None and not page.tests, timeout=TEST_MS)

    assert visits({"HEADLESS_BROWSER_VISITS": str(folder / "visits")}) == 1
    assert page.card.headline.text() == f"{NAME}: Working — 1 tool"
    assert (row(page).status, row(page).light) == ("Working — 1 tool", "ok")
    assert states.technical_words(page) == []
    record = stored(server.url)
    assert record is not None and record.current is not None and record.current.token is not None
    assert_kept_secret(tmp_path, secret_values(record), page.note.text())


def test_a_sign_in_from_the_row_menu_is_the_one_plugboard_login_makes_and_a_second_click_waits_for_it(
    qtbot: Any, page: ConnectorsPage, server: Backend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "browser"
    folder.mkdir()
    use_browser(monkeypatch, str(write_browser(folder)))
    monkeypatch.setenv("HEADLESS_BROWSER_VISITS", str(folder / "visits"))
    qtbot.waitUntil(lambda: row(page).status == "Sign in needed", timeout=LOOK_MS)
    assert page.select(NAME)
    sign_in = next(a for a in page.row_menu().actions() if a.text() == "Sign in…")

    with qtbot.waitSignal(page.signed_in, timeout=SIGN_IN_MS):
        sign_in.trigger()
        page.sign_in(NAME)  # a second click while the browser is open starts nothing more
    qtbot.waitUntil(lambda: page.testing is None and not page.tests, timeout=TEST_MS)

    assert visits({"HEADLESS_BROWSER_VISITS": str(folder / "visits")}) == 1
    record = stored(server.url)
    assert record is not None and record.issuer == f"http://127.0.0.1:{server.port}"
    assert record.current is not None and record.current.client is not None
    assert record.current.client.kind == "registered"  # as `plugboard login` registers itself
    assert (row(page).status, row(page).light) == ("Working — 1 tool", "ok")
