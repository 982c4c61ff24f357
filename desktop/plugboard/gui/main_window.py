"""The main window. For now: the connectors of Claude's config, enabled and disabled, reloaded when the file changes.

The desktop-app issue grows this into the full app (toggles, forms, logs, remote, tray). Errors reading the config
are shown in a banner in plain words, never as a crash.
"""

from __future__ import annotations

from PySide6.QtCore import QFileSystemWatcher
from PySide6.QtWidgets import QHeaderView, QLabel, QMainWindow, QTableView, QVBoxLayout, QWidget

from plugboard.core.connectors import Connectors
from plugboard.core.errors import PlugboardError
from plugboard.gui.connectors_model import ConnectorsModel


class MainWindow(QMainWindow):
    def __init__(self, config_override: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Plugboard")
        self.connectors = Connectors.open(config_override)
        self.model = ConnectorsModel()

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setObjectName("banner")
        self.banner.hide()
        self.source = QLabel()
        self.source.setObjectName("source")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Connectors")
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.banner)
        layout.addWidget(self.source)
        layout.addWidget(self.table)
        self.setCentralWidget(body)
        self.resize(760, 420)

        # Watch the folder too: an atomic rename replaces the file, and the watcher drops the old one.
        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._changed_on_disk)
        self.watcher.directoryChanged.connect(self._changed_on_disk)
        self.reload()

    def reload(self, note: str | None = None) -> None:
        path = self.connectors.path
        self.source.setText(f"Claude Desktop config: {path}")
        watched = [str(p) for p in (path, path.parent) if p.exists()]
        stale = [p for p in self.watcher.files() + self.watcher.directories() if p not in watched]
        if stale:
            self.watcher.removePaths(stale)
        missing = [p for p in watched if p not in self.watcher.files() + self.watcher.directories()]
        if missing:
            self.watcher.addPaths(missing)
        try:
            rows = self.connectors.all()
        except PlugboardError as exc:
            self.model.set_connectors([])
            self._show_banner(str(exc))
            return
        self.model.set_connectors(rows)
        if note:
            self._show_banner(note)
        elif not path.exists():
            self._show_banner(
                "Claude Desktop's config file does not exist yet; it is created when you add a connector."
            )
        else:
            self.banner.hide()

    def _changed_on_disk(self, _path: str) -> None:
        self.reload("The config changed on disk and was reloaded.")

    def _show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()
