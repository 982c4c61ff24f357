"""Importing another app's servers from the window (real keyring, real config engine, a realistic Cursor file)."""

import json
import shutil
from pathlib import Path

from PySide6.QtCore import Qt

from plugboard.core import secrets
from plugboard.gui.main_window import MainWindow

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "clients" / "cursor.json"


class NotRunning:
    def status(self):
        return type("Status", (), {"running": False})()


def test_importing_cursor_servers_moves_their_tokens_to_the_keyring(
    qtbot, claude_config, tmp_path, secret_service, isolated_home
):
    claude_config.write_text('{"mcpServers": {}}')
    cursor = tmp_path / "mcp.json"
    shutil.copy(SAMPLE, cursor)
    window = MainWindow(str(claude_config), claude=NotRunning())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    dialog = window.page.open_import()
    dialog.path.setText(str(cursor))
    dialog.preview()
    rows = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert any(r.startswith("github: new") and "GITHUB_PERSONAL_ACCESS_TOKEN → keyring" in r for r in rows)
    assert any(r.startswith("linear: new") and "remote → plugboard proxy" in r for r in rows)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    servers = json.loads(claude_config.read_text())["mcpServers"]
    assert {"github", "filesystem", "slack", "linear"} <= set(servers)
    assert servers["linear"]["args"][:3] == ["proxy", "linear", "https://mcp.linear.app/mcp"]
    assert secrets.get_secret("github", "GITHUB_PERSONAL_ACCESS_TOKEN") == "ghp_cursorSampleToken000000000000000000"
    for path in [claude_config, *isolated_home.rglob("*")]:
        if path.is_file():
            assert b"ghp_cursorSampleToken" not in path.read_bytes(), path
            assert b"lin_api_cursorSampleKey" not in path.read_bytes(), path
    assert window.page.note.text().startswith('Imported "')
    qtbot.waitUntil(lambda: window.page.claude_known, timeout=5000)
    window.close()
