"""The main window, titled "Plugboard": pages in a side navigation, the tray icon, and app-wide behaviour.

- When Claude's config changes on disk from elsewhere, the view reloads and says so (QFileSystemWatcher on the file
  and its folder: an atomic rename replaces the file, and the watcher forgets a replaced file).
- Closing the window keeps Plugboard in the tray when that setting is on and a tray exists; Quit (menu, tray,
  Ctrl+Q) really quits, stopping worker threads within a bound. A switch still being saved (its worker may wait for
  the edit lock) is finished first: Quit says so and quits when the page is idle, without blocking the window.
- The tray shows the overall state and quick switches, and notifies when a connector starts failing or a tunnel
  drops and recovers (the Remote page's notices).
"""

from __future__ import annotations

from PySide6.QtCore import QFileSystemWatcher, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from plugboard.core.claude.app import ClaudeApp
from plugboard.core.claude.discovery import discover
from plugboard.core.config.connectors import Connectors
from plugboard.core.logs.connector_log import prune_old_logs
from plugboard.core.settings import Settings
from plugboard.gui.connectors_model import Row
from plugboard.gui.connectors_page import ConnectorsPage
from plugboard.gui.icons import app_icon
from plugboard.gui.logs_page import LogsPage
from plugboard.gui.relink_banner import RelinkBanner
from plugboard.gui.remote_page import RemotePage
from plugboard.gui.settings_page import SettingsPage
from plugboard.gui.tray import Tray, overall_state


class MainWindow(QMainWindow):
    def __init__(self, config_override: str | None = None, claude: ClaudeApp | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Plugboard")
        self.setWindowIcon(app_icon("ok"))
        self.settings = Settings.load()
        prune_old_logs(self.settings.log_retention_days)  # the "keep logs for" setting, applied at each start
        self.config_override = config_override
        chosen = config_override or self.settings.claude_config
        self.connectors = Connectors(discover(chosen))
        self.quitting = False
        self._quit_when_idle = False
        self._lights: dict[str, str] = {}

        self.page = ConnectorsPage(self.connectors, claude or ClaudeApp(config_override=chosen), self)
        self.page.wrote.connect(self._own_write)
        self.logs_page = LogsPage(self.connectors, self)
        self.remote_page = RemotePage(self.connectors, self)
        self.remote_page.connector_added.connect(self._remote_added)
        self.page.remote_requested.connect(self.remote_page.open_wizard)
        self.settings_page = SettingsPage(self.settings, self.connectors.discovery, self)
        self.settings_page.config_chosen.connect(self.use_config)
        self.nav = QListWidget()
        self.nav.setAccessibleName("Pages")
        self.stack = QStackedWidget()
        pages = (
            ("Connectors", self.page),
            ("Logs", self.logs_page),
            ("Remote", self.remote_page),
            ("Settings", self.settings_page),
        )
        for title, page in pages:
            self.nav.addItem(title)
            self.stack.addWidget(page)
        self.nav.currentRowChanged.connect(self._page_changed)
        # As wide as its longest title (at any font size or scale), never squeezed by a wide page.
        self.nav.setFixedWidth(self.nav.sizeHintForColumn(0) + 2 * self.nav.frameWidth() + 16)
        self.nav.setCurrentRow(0)
        body = QWidget()
        row = QHBoxLayout(body)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        # Connectors that start another copy of Plugboard: a banner above every page (gui/relink_banner.py).
        self.relink_banner = RelinkBanner(lambda: self.connectors, self)
        self.relink_banner.relinked.connect(lambda _note: self._own_write())
        self.relink_banner.relinked.connect(self.page.reload)
        window_body = QWidget()
        column = QVBoxLayout(window_body)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.relink_banner)
        column.addWidget(body, 1)
        self.setCentralWidget(window_body)
        self.relink_banner.check()
        self.resize(1080, 540)

        quit_action = QAction("&Quit Plugboard", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.quit)
        self.menuBar().addMenu("&File").addAction(quit_action)

        self.tray: Tray | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = Tray(self.show_window, self.page.toggle, self.quit, self)
            self.tray.show()
            self.remote_page.notice.connect(self.tray.notify)
        self.page.rows_changed.connect(self._rows_changed)
        self._rows_changed([self.page.model.row(i) for i in range(self.page.model.rowCount())])

        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._changed_on_disk)
        self.watcher.directoryChanged.connect(self._changed_on_disk)
        self._last_seen = self._read()
        self._watch()

    def _page_changed(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        # Logs are followed only while their page is shown: one tail thread per connector is not free.
        if self.stack.currentWidget() is self.logs_page:
            self.logs_page.refresh_names()
        else:
            self.logs_page.stop_following()

    def show_page(self, title: str) -> None:
        titles = [self.nav.item(i).text() for i in range(self.nav.count())]
        self.nav.setCurrentRow(titles.index(title))

    # -- Claude's config file ------------------------------------------------------------------------------------

    def use_config(self, path: str | None) -> None:
        """Switch to another Claude config file (chosen in Settings)."""
        self.connectors = Connectors(discover(self.config_override or path))
        self.page.connectors = self.connectors
        self.logs_page.connectors = self.connectors
        self.remote_page.connectors = self.connectors
        if self.watcher.files() or self.watcher.directories():
            self.watcher.removePaths(self.watcher.files() + self.watcher.directories())
        self._own_write()
        self.page.reload(f"Now using {self.connectors.path}.")

    def _read(self) -> bytes | None:
        try:
            return self.connectors.path.read_bytes()
        except OSError:
            return None

    def _watch(self) -> None:
        path = self.connectors.path
        wanted = [str(p) for p in (path, path.parent) if p.exists()]
        current = self.watcher.files() + self.watcher.directories()
        missing = [p for p in wanted if p not in current]
        if missing:
            self.watcher.addPaths(missing)

    def _remote_added(self, name: str) -> None:
        """The Remote wizard wrote a connector: count it as the page's own change (undo, restart banner)."""
        self.page.note_added(name)
        self.show_page("Connectors")

    def _own_write(self) -> None:
        self._last_seen = self._read()
        self._watch()

    def _changed_on_disk(self, _path: str) -> None:
        self._watch()
        now = self._read()
        if now == self._last_seen:
            return  # a folder event that did not change the file (a backup, a temp file)
        self._last_seen = now
        self.page.reload("The config changed on disk and was reloaded.")

    # -- tray, notifications -------------------------------------------------------------------------------------

    def _rows_changed(self, rows: list[Row]) -> None:
        state, summary = overall_state(rows)
        self.setWindowIcon(app_icon(state if state != "idle" else "ok"))
        failing_now = [r for r in rows if r.light == "bad" and self._lights.get(r.connector.name) not in (None, "bad")]
        recovered = [r for r in rows if r.light == "ok" and self._lights.get(r.connector.name) == "bad"]
        self._lights = {r.connector.name: r.light for r in rows}
        if self.tray is None:
            return
        self.tray.update_rows(rows, state, summary)
        for row in failing_now:
            self.tray.notify(f"{row.connector.name} is failing", row.status, bad=True)
        for row in recovered:
            self.tray.notify(f"{row.connector.name} is running again", row.status)

    def show_window(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()

    # -- closing -------------------------------------------------------------------------------------------------

    def quit(self) -> None:
        if self.page.busy():
            self.page.show_note("Saving your last change… Plugboard quits as soon as it is saved.")
            if not self._quit_when_idle:
                self._quit_when_idle = True
                self.page.idle.connect(self._quit_now_idle, Qt.ConnectionType.SingleShotConnection)
            return
        if not self.confirm_pending():
            return
        self.quitting = True
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def _quit_now_idle(self) -> None:
        self._quit_when_idle = False
        self.quit()

    def confirm_pending(self) -> bool:
        """Quitting with switches still waiting for a Claude restart: apply them (then quit), discard, or stay."""
        count = len(self.page.pending)
        if not count:
            return True
        noun = "change" if count == 1 else "changes"
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Plugboard")
        box.setText(f"{count} {noun} to your connectors still wait for Claude Desktop to restart.")
        box.setInformativeText("Apply them now (Claude Desktop restarts), or discard them?")
        apply = box.addButton("Apply and restart Claude", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        stay = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(apply)
        box.exec()
        if box.clickedButton() is stay:
            return False
        if box.clickedButton() is apply:
            # Quit only once the restart is done: leaving mid-way could leave Claude quit and the file unwritten.
            self.page.applied.connect(self.quit, Qt.ConnectionType.SingleShotConnection)
            self.page.apply_now()
            return False
        self.page.pending.clear()
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.quitting and self.settings.close_to_tray and self.tray is not None and self.tray.isVisible():
            self.hide()
            event.ignore()
            self.tray.notify("Plugboard is still running", "It keeps watching your connectors from the tray.")
            return
        if self.page.busy():
            event.ignore()  # a change is still being saved: quit() waits for it without blocking, then closes
            self.quit()
            return
        self.page.shutdown()
        self.logs_page.shutdown()
        self.remote_page.shutdown()
        self.relink_banner.shutdown()
        if self.tray is not None:
            self.tray.hide()
        super().closeEvent(event)
