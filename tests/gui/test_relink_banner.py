"""The app's banner for connectors that start another copy of Plugboard, and its Relink button."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from plugboard.core import install


def _config(command: str) -> str:
    entry = {"command": command, "args": ["run", "github", "--", "npx", "-y", "server-github"]}
    return json.dumps({"mcpServers": {"github": entry, "plain": {"command": "npx"}}}, indent=2)


def test_at_start_the_shim_is_repaired_and_a_connector_of_a_deleted_copy_is_offered_relink(
    open_window, qtbot, claude_config, tmp_path
):
    gone = str(tmp_path / "Downloads" / "plugboard" / "plugboard")
    window = open_window(_config(gone))
    banner = window.relink_banner

    qtbot.waitUntil(lambda: banner.checked, timeout=10000)
    assert install.check_shim().status == "ok"
    assert banner.isVisible()
    assert "1 connector (github) starts a copy of Plugboard that was moved, deleted or replaced" in banner.text.text()

    qtbot.mouseClick(banner.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Relinked 1 connector" in banner.text.text(), timeout=10000)

    assert claude_config.read_text() == _config(gone).replace(json.dumps(gone), json.dumps(str(install.shim_path())))
    assert not banner.button.isVisible()
    assert "Restart Claude Desktop to use them" in window.page.note.text()


def test_with_every_connector_on_the_shim_there_is_no_banner(open_window, qtbot):
    window = open_window(_config(install.entry_command()))
    qtbot.waitUntil(lambda: window.relink_banner.checked, timeout=10000)
    assert not window.relink_banner.isVisible()
