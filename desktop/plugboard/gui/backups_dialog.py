"""Restore Claude's config from one of the backups Plugboard made before each change (newest first)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from plugboard.core.config.backups import KEEP
from plugboard.core.config.connectors import Connectors
from plugboard.core.errors import PlugboardError

NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class BackupsDialog(QDialog):
    def __init__(self, connectors: Connectors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore a backup")
        self.connectors = connectors
        self.restored: str | None = None
        intro = QLabel(
            f"Plugboard keeps a copy of Claude's config before every change (the newest {KEEP}). Restoring one "
            "keeps a copy of the current file too, so a restore can be undone the same way."
        )
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName("Backups, newest first")
        for backup in connectors.backups():
            when = backup.created.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            item = QListWidgetItem(f"{when}   before: {backup.reason.replace('-', ' ')}")
            item.setData(NAME_ROLE, backup.name)
            self.list.addItem(item)
        self.message = QLabel("" if self.list.count() else "No backups yet.")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = self.buttons.addButton("&Restore", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(False)
        self.list.currentRowChanged.connect(lambda row: self.restore_button.setEnabled(row >= 0))
        self.list.itemDoubleClicked.connect(lambda _item: self.restore())
        self.buttons.accepted.connect(self.restore)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(560, 420)

    def restore(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        try:
            backup = self.connectors.restore(item.data(NAME_ROLE))
        except PlugboardError as exc:
            self.message.setText(str(exc))
            return
        self.restored = backup.name
        self.accept()
