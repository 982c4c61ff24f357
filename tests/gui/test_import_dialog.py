"""Importing another app's servers from the window (real keyring, real config engine, a realistic Cursor file)."""

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from plugboard.core.secrets import keyring as secrets

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "clients" / "cursor.json"


@pytest.mark.usefixtures("secret_service")
def test_importing_cursor_servers_moves_their_tokens_to_the_keyring(
    qtbot, open_window, claude_config, tmp_path, isolated_home
):
    cursor = tmp_path / "mcp.json"
    shutil.copy(SAMPLE, cursor)
    window = open_window('{"mcpServers": {}}')
    dialog = window.page.open_import()
    dialog.path.setText(str(cursor))
    dialog.preview()
    rows = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert any(r.startswith("github: new") and "GITHUB_PERSONAL_ACCESS_TOKEN → keyring" in r for r in rows)
    assert any(r.startswith("linear: new") and "remote → plugboard proxy" in r for r in rows)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)  # the import runs on a worker
    servers = json.loads(claude_config.read_text())["mcpServers"]
    assert {"github", "filesystem", "slack", "linear"} <= set(servers)
    assert servers["linear"]["args"][:3] == ["proxy", "linear", "https://mcp.linear.app/mcp"]
    assert secrets.get_secret("github", "GITHUB_PERSONAL_ACCESS_TOKEN") == "ghp_cursorSampleToken000000000000000000"
    for path in [claude_config, *isolated_home.rglob("*")]:
        if path.is_file():
            assert b"ghp_cursorSampleToken" not in path.read_bytes(), path
            assert b"lin_api_cursorSampleKey" not in path.read_bytes(), path
    assert window.page.note.text().startswith("Imported “")
    assert window.page.testing is not None or window.page.tests  # each new connector is tested in the background
