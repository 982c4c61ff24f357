"""The main window, titled "Plugboard". For now it holds the Connectors page; later pages (logs, remote, settings)
join it in a side navigation.

When Claude's config changes on disk from elsewhere, the view reloads and says so (QFileSystemWatcher on the file and
its folder: an atomic rename replaces the file, and the watcher forgets a replaced file).
"""

from __future__ import annotations

from PySide6.QtCore import QFileSystemWatcher
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow

from plugboard.core.claude_app import ClaudeApp
from plugboard.core.connectors import Connectors
from plugboard.gui.connectors_page import ConnectorsPage


class MainWindow(QMainWindow):
    def __init__(self, config_override: str | None = None, claude: ClaudeApp | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Plugboard")
        self.connectors = Connectors.open(config_override)
        self.page = ConnectorsPage(self.connectors, claude or ClaudeApp(config_override=config_override), self)
        self.page.wrote.connect(self._own_write)
        self.setCentralWidget(self.page)
        self.resize(820, 460)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._changed_on_disk)
        self.watcher.directoryChanged.connect(self._changed_on_disk)
        self._last_seen = self._read()
        self._watch()

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

    def closeEvent(self, event: QCloseEvent) -> None:
        self.page.shutdown()
        super().closeEvent(event)
