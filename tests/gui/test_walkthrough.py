"""The walkthrough of issue 13: one window, things broken one by one as a user's set-up breaks — a trailing comma, a
missing program, a refused token, a server printing to stdout, an unreachable remote, a plaintext token — and for
each, what the window says (in words, with no technical word of ours) and that its one-click fix works.

Real parts throughout: the main window, the config engine, the Secret Service of the test session, real MCP servers
(tests/servers/), Plugboard's own bridge against a real Streamable HTTP server, the window's watch of Claude's file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from gui import states
from plugboard.core.probe.verdict import Action
from plugboard.core.secrets.keyring import get_secret, set_secret
from servers.http_backend import Backend

# A Test starts a server (about a second here; the bridge to a closed port retries for 5 s); 60 s bounds it.
TEST_MS = 60_000
# The window notices a change of Claude's file and writes its own on a worker in milliseconds; 10 s bounds that.
CHANGE_MS = 10_000


def break_with(qtbot: Any, window: Any, claude_config: Path, text: str, name: str | None) -> None:
    """Write Claude's file as a hand edit would, and wait until the window shows it."""
    claude_config.write_text(text)
    page = window.page
    if name is None:
        qtbot.waitUntil(lambda: page.repair_banner.isVisible(), timeout=CHANGE_MS)
    else:
        qtbot.waitUntil(lambda: page.model.find(name) >= 0, timeout=CHANGE_MS)


def test_it(qtbot: Any, page: Any, name: str) -> None:
    page.select(name)
    page.test_button.click()
    qtbot.waitUntil(lambda: page.testing is None and not page.tests and page.card.name == name, timeout=TEST_MS)


test_it.__test__ = False  # type: ignore[attr-defined]  # a helper


def says(page: Any, name: str) -> str:
    row = page.model.row(page.model.find(name))
    assert states.technical_words(page) == [], states.technical_words(page)
    return f"{row.light}: {row.status}"


def press(page: Any, action: Action) -> None:
    button = page.card.button(action)
    assert button is not None, [s.label for s in page.card.steps()]
    button.click()


@pytest.mark.usefixtures("secret_service")
def test_breaking_things_one_by_one_each_is_said_in_words_and_fixed_in_one_click(
    qtbot: Any, open_window: Any, claude_config: Path, isolated_home: Path, tmp_path: Path
) -> None:
    servers: dict[str, Any] = {"healthy": states.healthy()}
    window = open_window(states.config(servers))
    page = window.page
    opened: list[str] = []
    page.open_link = opened.append  # the browser is not under test: which page it would open is

    # 1. A trailing comma: the list cannot be read; the window says where and what, and Repair fixes it.
    break_with(qtbot, window, claude_config, states.TRAILING_COMMA, None)
    assert "has a mistake on line 3: it has a comma before a closing bracket" in page.repair_text.text()
    assert not page.catalog_action.isEnabled()
    page.open_repair().accept()
    qtbot.waitUntil(lambda: not page.repair_banner.isVisible(), timeout=CHANGE_MS)
    assert json.loads(claude_config.read_text())["mcpServers"] == {
        "time": {"command": "uvx", "args": ["mcp-server-time"]}
    }

    # 2. A missing program: named in words, with its download; then pointed at a real program, it works.
    servers = {"deno-tool": states.missing_program()}
    break_with(qtbot, window, claude_config, states.config(servers), "deno-tool")
    test_it(qtbot, page, "deno-tool")
    assert says(page, "deno-tool") == "bad: Can't start: Deno is not installed"
    press(page, Action.INSTALL)
    assert opened == ["https://deno.com"]
    dialog = page.open_connector("deno-tool")
    dialog.command.setText(states.healthy()["command"])
    while dialog.args.count():
        dialog.args.takeItem(0)
    dialog._add_arg(states.healthy()["args"][0])
    qtbot.waitUntil(lambda: dialog.problem_label.text() == "Ready to save.", timeout=CHANGE_MS)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: says(page, "deno-tool") == "ok: Working — 2 tools", timeout=TEST_MS)

    # 3. A refused token: its tools are listed, but the credential check is refused; setting the key fixes it.
    set_secret("search", states.KEY, "a-made-up-key-000000")
    page.catalog = states.keyed_catalog()
    break_with(qtbot, window, claude_config, states.config({"search": states.keyed()}), "search")
    test_it(qtbot, page, "search")
    assert says(page, "search") == "bad: The key was refused"
    press(page, Action.SET_SECRET)
    page.dialog.value.setText(states.GOOD_KEY + "\n")
    page.dialog.accept()
    qtbot.waitUntil(lambda: says(page, "search") == "ok: Working — 2 tools", timeout=TEST_MS)
    assert "Removed the spaces or line breaks around the pasted value." in page.note.text()
    assert get_secret("search", states.KEY) == states.GOOD_KEY

    # 4. A server that prints to stdout: said plainly; the log is one click away (the fix is the server's own).
    break_with(qtbot, window, claude_config, states.config({"notes": states.polluter(tmp_path)}), "notes")
    test_it(qtbot, page, "notes")
    assert says(page, "notes") == "bad: It prints messages Claude can't read"
    with qtbot.waitSignal(page.log_requested, timeout=CHANGE_MS) as asked:
        press(page, Action.OPEN_LOG)
    assert asked.args == ["notes"]

    # 5. An unreachable remote: red, in words; once its server runs, Test again turns it green.
    entry = states.unreachable()
    port = int(entry["args"][2].rsplit(":", 1)[1].split("/")[0])
    break_with(qtbot, window, claude_config, states.config({"backend": entry}), "backend")
    test_it(qtbot, page, "backend")
    assert says(page, "backend") == "bad: Your server is unreachable"
    with Backend("http_mcp.py", port=port):
        press(page, Action.TEST)
        qtbot.waitUntil(lambda: says(page, "backend").startswith("ok: Working —"), timeout=TEST_MS)

    # 6. A plaintext token in Claude's file: announced at once; one click moves it out of every file.
    break_with(qtbot, window, claude_config, states.config({"github": states.plaintext()}), "github")
    assert page.secrets_text.text().startswith("1 connector keeps a token in plain text in Claude's file")
    page.secure_button.click()
    qtbot.waitUntil(lambda: not page.secrets_banner.isVisible() and not page.busy(), timeout=CHANGE_MS)
    assert get_secret("github", "GITHUB_TOKEN") == states.PLAINTEXT_TOKEN
    for path in [claude_config, *isolated_home.rglob("*")]:
        if path.is_file():
            assert states.PLAINTEXT_TOKEN.encode() not in path.read_bytes(), path
    qtbot.waitUntil(lambda: says(page, "github") == "ok: Working — 2 tools", timeout=TEST_MS)  # tested after the move
