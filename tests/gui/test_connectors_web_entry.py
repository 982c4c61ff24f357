"""A `{"url": …}` entry in Claude's file, in the app: the window lists every other connector, the odd one's row says
in plain words that Claude Desktop can't start it, and one click on "Connect it through Plugboard" turns it into
Plugboard's own remote connector (its token to the keychain, never into a file) and tests it: green.

Before, one such entry blanked the whole list ("…has no "command". Claude Desktop can't read it either") with a
"Restore an earlier copy…" button that had no copy to offer.

Real parts: an `mcp` SDK server over Streamable HTTP that wants a bearer token (tests/servers/http_mcp.py, its own
process), the real Secret Service (scripts/test-session.sh), the real `plugboard proxy` started by the Test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gui import states
from plugboard.core.config.claude_file import NO_PROGRAM_AT_ADDRESS
from plugboard.core.entries import ProxyEntry, parse
from plugboard.core.probe.verdict import CONNECT_REMOTE_LABEL, Action
from plugboard.core.secrets.keyring import get_secret
from plugboard.gui.main_window import MainWindow
from servers.http_backend import Backend

TOKEN = "nts_gui_5d1c7e9a3b2f4086ac"
NAME = "remote-notes"
# Converting is one file write and one keychain write; a Test then starts `plugboard proxy` (a Python start) and
# shakes hands through it: seconds here, 60 s bounds a loaded machine.
CONNECT_MS = 60_000

pytestmark = pytest.mark.usefixtures("secret_service")


@pytest.fixture
def server() -> Iterator[Backend]:
    with Backend("http_mcp.py", "--bearer", TOKEN) as backend:
        yield backend


def test_a_url_entry_no_longer_hides_the_others_and_one_click_connects_it_and_it_tests_green(
    qtbot: Any, open_window: Callable[..., MainWindow], server: Backend, claude_config: Path, tmp_path: Path
) -> None:
    config = states.config(
        {
            "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/ana"]},
            NAME: {"type": "http", "url": server.url, "headers": {"Authorization": f"Bearer {TOKEN}"}},
            "time": {"command": "uvx", "args": ["mcp-server-time"]},
        }
    )
    window = open_window(config)
    page = window.page
    assert [r.connector.name for r in page.model.rows()] == ["files", NAME, "time"]
    assert not page.repair_banner.isVisible()

    def row() -> Any:
        return page.model.row(page.model.find(NAME))

    qtbot.waitUntil(lambda: row().status == NO_PROGRAM_AT_ADDRESS, timeout=5000)
    assert row().light == "bad"
    assert page.select(NAME)
    qtbot.waitUntil(lambda: page.card.name == NAME, timeout=5000)
    assert page.card.headline.text() == f"{NAME}: {NO_PROGRAM_AT_ADDRESS}"
    assert states.technical_words(page) == []
    page.test_connector(NAME)  # a Test says the same, with the same button
    qtbot.waitUntil(lambda: page.testing is None and not page.tests, timeout=CONNECT_MS)
    assert page.card.headline.text() == f"{NAME}: {NO_PROGRAM_AT_ADDRESS}"
    assert row().status == NO_PROGRAM_AT_ADDRESS
    button = page.card.button(Action.CONNECT_REMOTE)
    assert button is not None and button.text() == CONNECT_REMOTE_LABEL

    button.click()
    qtbot.waitUntil(lambda: row().status.startswith("Working"), timeout=CONNECT_MS)
    qtbot.waitUntil(lambda: page.testing is None and not page.tests and not page.writing, timeout=CONNECT_MS)

    assert row().light == "ok" and page.card.headline.text().startswith(f"{NAME}: Working")
    assert "now connects through Plugboard" in page.note.text()
    entry = parse(json.loads(claude_config.read_text())["mcpServers"][NAME])
    assert isinstance(entry, ProxyEntry) and (entry.url, entry.bearer_secret) == (server.url, "BEARER_TOKEN")
    assert get_secret(NAME, "BEARER_TOKEN") == TOKEN
    assert [p for p in tmp_path.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()] == []
    assert [r.connector.name for r in page.model.rows()] == ["files", NAME, "time"]
    assert len(page.connectors.backups()) == 1
