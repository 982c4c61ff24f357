"""The main window over the real config engine: listing, switching, staging while Claude runs, reloading."""

import json

import pytest
from PySide6.QtCore import Qt

from plugboard.core.claude.app import RestartOutcome
from plugboard.gui.connectors_model import NAME, SWITCH
from plugboard.gui.main_window import MainWindow

CONFIG = (
    '{\n  "mcpServers": {\n    "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem"]},\n'
    '    "time": {"command": "uvx", "args": ["mcp-server-time"]}\n  }\n}'
)


class FakeClaude:
    """Duck-types ClaudeApp for the page: running or not, and a restart that calls `between` like the real one."""

    def __init__(self, running):
        self.running = running
        self.restarts = 0

    def status(self):
        return type("Status", (), {"running": self.running})()

    def restart(self, between=None, progress=None):
        self.restarts += 1
        if progress:
            progress(1.0)
        between()
        return RestartOutcome(True, True, True, 1.0, (1,), (2,), message="Restarted Claude Desktop.")


@pytest.fixture
def window(qtbot, claude_config, request):
    claude_config.write_text(CONFIG)
    claude = FakeClaude(running=getattr(request, "param", False))
    window = MainWindow(str(claude_config), claude=claude)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    page = window.page
    qtbot.waitUntil(lambda: page.claude_known, timeout=5000)
    yield window
    window.close()


def cells(window, column):
    model = window.page.model
    return [model.index(r, column).data() for r in range(model.rowCount())]


# A switch is written (or staged) on a worker in milliseconds; 10 s only bounds a stuck one.
SAVE_MS = 10_000


def click_switch(qtbot, window, row):
    """Click the switch and wait until the page has written or staged it (that happens on a worker)."""
    table = window.page.table
    rect = table.visualRect(window.page.model.index(row, SWITCH))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not window.page.busy(), timeout=SAVE_MS)


def test_the_window_is_titled_plugboard_and_lists_enabled_and_disabled_connectors(window):
    window.connectors.disable("time")
    window.page.reload()
    assert window.windowTitle() == "Plugboard"
    assert cells(window, NAME) == ["files", "time"]
    assert cells(window, SWITCH) == ["On", "Off"]


def test_a_switch_click_writes_at_once_when_claude_is_not_running(qtbot, window, claude_config):
    click_switch(qtbot, window, 1)
    assert list(json.loads(claude_config.read_text())["mcpServers"]) == ["files"]
    assert cells(window, SWITCH) == ["On", "Off"]
    assert window.page.restart_banner.isHidden()
    assert "Switched off “time”" in window.page.note.text()
    click_switch(qtbot, window, 1)
    assert claude_config.read_text() == CONFIG


@pytest.mark.parametrize("window", [True], indirect=True)
def test_while_claude_runs_switches_are_staged_until_restart_claude_now(qtbot, window, claude_config):
    page = window.page
    page.guard_seconds = 0.5  # the wipe guard's watch, shortened: nothing rewrites the file in this test
    assert page.claude_running
    click_switch(qtbot, window, 0)
    window.page.table.setCurrentIndex(page.model.index(1, 0))
    qtbot.keyClick(page.table, Qt.Key.Key_Space)  # the keyboard works as well as the mouse
    qtbot.waitUntil(lambda: not page.busy(), timeout=SAVE_MS)
    assert claude_config.read_text() == CONFIG
    assert not page.restart_banner.isHidden()
    assert page.restart_text.text() == "Claude Desktop needs a restart to apply 2 changes."
    assert cells(window, SWITCH) == ["Off (pending)", "Off (pending)"]
    click_switch(qtbot, window, 1)  # flipping back cancels that change
    assert page.restart_text.text() == "Claude Desktop needs a restart to apply 1 change."
    qtbot.mouseClick(page.restart_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.restart_banner.isHidden(), timeout=30000)
    assert list(json.loads(claude_config.read_text())["mcpServers"]) == ["time"]
    assert cells(window, SWITCH) == ["Off", "On"]  # parked "files" keeps its place: rows never move when switched
    assert "Applied 1 change" in page.note.text()


@pytest.mark.parametrize("window", [True], indirect=True)
def test_claude_quitting_is_noticed_while_a_long_test_runs_and_the_staged_switch_is_written(
    qtbot, window, claude_config
):
    import threading

    page = window.page
    click_switch(qtbot, window, 0)
    assert len(page.pending) == 1
    release = threading.Event()
    page.workers.start("test", lambda: release.wait(30), on_done=lambda _r: None)  # a Test that takes its time
    try:
        window.claude().running = False  # the user quits Claude Desktop
        page.poll_claude()
        qtbot.waitUntil(lambda: not page.claude_running and not page.pending, timeout=SAVE_MS)
        qtbot.waitUntil(lambda: "files" not in json.loads(claude_config.read_text())["mcpServers"], timeout=SAVE_MS)
    finally:
        release.set()


@pytest.mark.parametrize("window", [True], indirect=True)
def test_during_a_restart_the_note_says_so_and_a_reload_does_not_replace_it(qtbot, window, claude_config):
    import threading

    page = window.page
    page.guard_seconds = 0.5
    claude = window.claude()
    release = threading.Event()
    plain_restart = claude.restart

    def slow_restart(between=None, progress=None):
        release.wait(30)  # Claude Desktop takes its time to quit
        return plain_restart(between, progress)

    claude.restart = slow_restart
    click_switch(qtbot, window, 0)
    qtbot.mouseClick(page.restart_button, Qt.MouseButton.LeftButton)
    try:
        assert page.note.text() == "Restarting Claude Desktop to apply 1 change… Plugboard reopens it for you."
        page.reload("The config changed on disk and was reloaded.")  # what the window says when the file changes
        assert page.note.text().startswith("Restarting Claude Desktop")
    finally:
        release.set()
    qtbot.waitUntil(lambda: page.restart_banner.isHidden(), timeout=30_000)
    assert "Applied 1 change" in page.note.text()


def test_a_broken_config_shows_a_note_instead_of_failing(qtbot, claude_config):
    claude_config.write_text('{"mcpServers": {},}')
    window = MainWindow(str(claude_config), claude=FakeClaude(False))
    qtbot.addWidget(window)
    assert window.page.model.rowCount() == 0
    assert "trailing comma" in window.page.repair_text.text()
    qtbot.waitUntil(lambda: window.page.claude_known, timeout=5000)
    window.close()


def test_a_change_on_disk_reloads_the_list_and_says_so(qtbot, window, claude_config):
    claude_config.write_text('{"mcpServers": {}}')
    qtbot.waitUntil(lambda: window.page.model.rowCount() == 0, timeout=5000)
    assert "changed on disk" in window.page.note.text()


def test_first_run_without_claude_installed_says_what_to_do(qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv("PLUGBOARD_CLAUDE_CONFIG")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    window = MainWindow(None, claude=FakeClaude(False))
    qtbot.addWidget(window)
    note = window.page.note.text()
    assert "Claude Desktop does not look installed" in note
    assert "https://claude.ai/download" in note
    assert "choose the config file in Settings" in note and "--config" not in note
    qtbot.waitUntil(lambda: window.page.claude_known, timeout=5000)
    window.close()


def test_the_navigation_has_every_page_and_add_remote_opens_the_wizard(qtbot, window):
    from plugboard.gui.remote_wizard import RemoteWizard

    # The item's text is empty when the list shows icons only (a narrow window); its accessible name never is.
    titles = [window.nav.item(i).data(Qt.ItemDataRole.AccessibleTextRole) for i in range(window.nav.count())]
    assert titles == ["Connectors", "Logs", "Remote", "Settings"] == window.nav.titles
    qtbot.mouseClick(window.page.remote_button, Qt.MouseButton.LeftButton)
    wizard = window.remote_page.findChild(RemoteWizard)
    assert wizard is not None and wizard.isVisible()
    wizard.reject()


def answer_next_question(qtbot, label):
    """Click `label` in the next message box, once it shows (it is modal: schedule before it opens)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    def click():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)
            return
        button = next(b for b in box.buttons() if b.text() == label)
        button.click()

    QTimer.singleShot(0, click)


@pytest.mark.parametrize("window", [True], indirect=True)
def test_quitting_with_staged_switches_offers_to_apply_them_first(qtbot, window, claude_config):
    window.page.guard_seconds = 0.2
    click_switch(qtbot, window, 0)
    assert len(window.page.pending) == 1
    answer_next_question(qtbot, "Cancel")
    window.quit()
    assert window.isVisible() and len(window.page.pending) == 1
    answer_next_question(qtbot, "Apply and restart Claude")
    window.quit()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30000)
    assert list(json.loads(claude_config.read_text())["mcpServers"]) == ["time"]
    assert window.page.claude.restarts == 1


@pytest.mark.parametrize("window", [True], indirect=True)
def test_quitting_and_discarding_staged_switches_leaves_the_file_alone(qtbot, window, claude_config):
    click_switch(qtbot, window, 1)
    answer_next_question(qtbot, "Discard")
    window.quit()
    assert not window.isVisible()
    assert claude_config.read_text() == CONFIG


def test_the_header_counts_the_changes_that_wait_and_restart_applies_them(qtbot, claude_config):
    claude_config.write_text(CONFIG)
    claude = FakeClaude(running=True)
    window = MainWindow(str(claude_config), claude=claude)
    qtbot.addWidget(window)
    window.show()
    page = window.page
    page.guard_seconds = 0.2
    qtbot.waitUntil(lambda: page.claude_known and window.header.running is True, timeout=5000)
    assert window.header.state.text() == "Claude Desktop is running"
    assert window.header.restart_button.isHidden()
    click_switch(qtbot, window, 0)
    assert window.header.pending == 1
    assert window.header.pending_text.text() == "· 1 change waits for a restart"
    assert not window.header.restart_button.isHidden()
    qtbot.mouseClick(window.header.restart_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.header.pending == 0, timeout=30_000)
    assert claude.restarts == 1
    assert list(json.loads(claude_config.read_text())["mcpServers"]) == ["time"]
    window.close()


def test_open_it_on_a_catalog_server_already_added_opens_that_connector(qtbot, window):
    from PySide6.QtWidgets import QApplication

    from plugboard.gui.catalog_dialog import CatalogDialog
    from plugboard.gui.connector_dialog import ConnectorDialog

    dialog = window.page.add_from_catalog()
    assert isinstance(dialog, CatalogDialog)
    qtbot.waitExposed(dialog)
    assert "Already added as files" in dialog.cards["filesystem"].accessibleDescription()
    dialog.select("filesystem")
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(isinstance(w, ConnectorDialog) and w.isVisible() for w in QApplication.topLevelWidgets()),
        timeout=5000,
    )
    opened = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ConnectorDialog) and w.isVisible())
    assert opened.form().name == "files"
    opened.reject()


def test_the_window_paints_the_connectors_first_and_builds_the_other_pages_after(qtbot, claude_config):
    claude_config.write_text(CONFIG)
    window = MainWindow(str(claude_config), claude=FakeClaude(False))
    qtbot.addWidget(window)
    assert set(window._pages) == {"connectors"}  # the other pages wait for the first paint
    window.show()
    qtbot.waitUntil(lambda: window.started, timeout=20_000)
    assert set(window._pages) == {"connectors", "logs", "remote", "settings"}
    assert [window.page.model.row(i).connector.name for i in range(window.page.model.rowCount())] == ["files", "time"]
    window.close()
