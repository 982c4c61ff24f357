"""Put back an earlier copy of Claude's config, chosen from the backups Plugboard made before each change, each named
in words ("Before you switched off github — today 10:42", `core.config.backups.describe`), newest first.

The restore runs on a worker (it waits for the edit lock and may ask the keychain whether a value in the copy was
moved there: a restore never brings a moved secret back, `core.config.secure.restorable`). The dialog closes when it
is done and leaves `restored` (the bytes before and after, for the page's undo step, and the copy's name in words).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from plugboard.core.config import secure
from plugboard.core.config.backups import KEEP, describe
from plugboard.core.config.claude_file import read_raw
from plugboard.core.config.connectors import Connectors
from plugboard.gui.fit import fit_to_screen
from plugboard.gui.worker import Workers

NAME_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Restored:
    name: str
    """The backup's file name."""
    label: str
    """The backup in words."""
    before: bytes | None
    after: bytes


class BackupsDialog(QDialog):
    def __init__(self, connectors: Connectors, parent: QWidget | None = None, *, names: Iterable[str] = ()) -> None:
        super().__init__(parent)
        self.setWindowTitle("Put back an earlier copy")
        self.connectors = connectors
        self.restored: Restored | None = None
        self.workers = Workers(self)
        intro = QLabel(
            f"Plugboard keeps a copy of Claude's settings before every change (the newest {KEEP}). Putting one back "
            "keeps a copy of the current settings too, and Undo reverses it."
        )
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName("Earlier copies, newest first")
        known = list(names)
        for backup in connectors.backups():
            item = QListWidgetItem(describe(backup, known))
            item.setData(NAME_ROLE, backup.name)
            item.setToolTip(backup.created.astimezone().strftime("%Y-%m-%d %H:%M:%S"))
            self.list.addItem(item)
        self.message = QLabel("" if self.list.count() else "No copies yet: Plugboard makes one before each change.")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = self.buttons.addButton("&Put back", QDialogButtonBox.ButtonRole.AcceptRole)
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
        fit_to_screen(self, 560, 420)

    def restore(self) -> None:
        item = self.list.currentItem()
        if item is None or self.workers.busy():
            return
        name, label = str(item.data(NAME_ROLE)), item.text()
        connectors = self.connectors
        self.buttons.setEnabled(False)
        self.message.setText("Putting it back…")

        def work() -> Restored:
            before = read_raw(connectors.path)
            secure.restore(connectors, name)
            after = read_raw(connectors.path) or b""
            return Restored(name, label, before, after)

        def done(result: Restored) -> None:
            self.restored = result
            self.buttons.setEnabled(True)
            self.accept()

        def failed(message: str) -> None:
            self.buttons.setEnabled(True)
            self.message.setText(message)

        self.workers.start("restore", work, done, failed)

    def done(self, result: int) -> None:
        self.workers.join()
        super().done(result)
