"""The tray's menu and state, and the Settings page, over real settings and connectors."""

from plugboard.core.config.connectors import Connector
from plugboard.core.settings import Settings
from plugboard.gui.connectors_model import Row
from plugboard.gui.tray import Tray, overall_state


def row(name, light, enabled=True):
    return Row(Connector(name, enabled, {"command": "x"}), f"{name} is {light}", light)


def test_the_overall_state_is_red_when_any_connector_fails_then_green_when_any_runs():
    assert overall_state([row("a", "ok"), row("b", "bad")]) == ("bad", "Plugboard: b failing")
    assert overall_state([row("a", "ok"), row("b", "off")]) == ("ok", "Plugboard: 1 connector running")
    assert overall_state([row("a", "off")]) == ("idle", "Plugboard")


def test_quick_switches_in_the_tray_menu_call_the_same_toggle_as_the_page(qtbot):
    calls = []
    tray = Tray(lambda: None, lambda name, on: calls.append((name, on)), lambda: None)
    tray.update_rows([row("github", "ok"), row("files", "off", enabled=False)], "ok", "Plugboard")
    labels = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert labels == ["Open Plugboard", "github", "files", "Quit Plugboard"]
    assert [a.isChecked() for a in tray.switches] == [True, False]
    tray.switches[1].trigger()
    assert calls == [("files", True)]


def test_settings_page_saves_each_change_and_shows_the_config_in_use(qtbot, open_window, claude_config):
    window = open_window('{"mcpServers": {}}')
    page = window.settings_page
    assert page.config_label.text() == str(claude_config)
    assert "set when Plugboard was started" in page.config_source.text()
    from PySide6.QtWidgets import QSystemTrayIcon

    window.show_page("Settings")
    # No tray on this desktop: closing the window quits, so the tray choice is not offered.
    assert page.close_to_tray.isVisible() == QSystemTrayIcon.isSystemTrayAvailable()
    page.close_to_tray.setChecked(False)
    page.retention.setValue(30)
    page.theme.setCurrentIndex(page.theme.findData("dark"))
    # Saved on a worker (saving takes the edit lock); the newest values end up in the file.
    qtbot.waitUntil(lambda: not page.workers.busy() and not page._saving, timeout=5000)
    saved = Settings.load()
    assert (saved.close_to_tray, saved.log_retention_days, saved.theme) == (False, 30, "dark")
    assert window.theme.dark


def test_typing_a_longer_retention_over_a_shorter_one_deletes_no_log_on_the_way(qtbot, open_window):
    import os
    import time

    from PySide6.QtCore import Qt

    from plugboard.core.paths import plugboard_dirs

    window = open_window('{"mcpServers": {}}')
    page = window.settings_page
    page.retention.setValue(30)
    qtbot.waitUntil(lambda: not page._prune_timer.isActive() and not page.workers.busy(), timeout=5000)
    logs = plugboard_dirs().logs
    logs.mkdir(parents=True, exist_ok=True)
    old = logs / "github.log"
    old.write_text("twenty days old\n")
    twenty_days_ago = time.time() - 20 * 86400
    os.utime(old, (twenty_days_ago, twenty_days_ago))
    # The user selects "30" and types "90": the box holds 9 for a moment.
    page.retention.selectAll()
    qtbot.keyClicks(page.retention, "9")
    qtbot.keyClicks(page.retention, "0")
    qtbot.keyClick(page.retention, Qt.Key.Key_Return)
    assert page.retention.value() == 90
    qtbot.waitUntil(lambda: not page._prune_timer.isActive() and not page.workers.busy(), timeout=5000)
    assert old.exists()
    assert Settings.load().log_retention_days == 90
    page.retention.setValue(10)  # a shorter one, held: the old log goes
    qtbot.waitUntil(lambda: not old.exists(), timeout=5000)
