"""Bring servers from another MCP client (Cursor, VS Code, Claude Code, Windsurf, Cline, LM Studio) into Claude,
without a terminal: pick the client (its usual file is found; another can be chosen), read the preview — new,
already there, conflicting, remote (becomes `plugboard proxy`), plaintext secrets (go to the keychain) — tick what
to bring, and import. The rules are `core.clients.importing`'s; this dialog only shows them. The import itself (the
keychain and the locked write of Claude's file) runs on a worker; the dialog closes when it is done.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from plugboard.core.clients.formats import CLIENTS, default_path
from plugboard.core.clients.importing import NEW, ImportPlan, ImportResult, apply_import, preview_import
from plugboard.core.config.connectors import Connectors
from plugboard.core.errors import PlugboardError
from plugboard.gui.fit import fit_to_screen
from plugboard.gui.worker import Workers

NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class ImportDialog(QDialog):
    def __init__(self, connectors: Connectors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import from another app")
        self.connectors = connectors
        self.plan: ImportPlan | None = None
        self.outcome: ImportResult | None = None
        self.workers = Workers(self)
        self.client = QComboBox()
        self.client.setAccessibleName("App to import from")
        for fmt in CLIENTS.values():
            if fmt.id != "shareable":
                self.client.addItem(fmt.label, fmt.id)
        self.client.addItem("A shared Plugboard file", "shareable")
        self.path = QLineEdit()
        self.path.setAccessibleName("Its config file")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose)
        row = QHBoxLayout()
        row.addWidget(self.client)
        row.addWidget(self.path, 1)
        row.addWidget(choose)
        self.list = QListWidget()
        self.list.setAccessibleName("Servers found")
        self.list.setWordWrap(True)
        self.move_secrets = QCheckBox("Move plaintext tokens and passwords into the keychain (recommended)")
        self.move_secrets.setChecked(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("&Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.run_import)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.move_secrets)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        fit_to_screen(self, 720, 460)
        self.client.currentIndexChanged.connect(self._client_changed)
        self.path.editingFinished.connect(self.preview)
        self._client_changed()

    def _client_changed(self) -> None:
        client_id = self.client.currentData()
        try:
            self.path.setText("" if client_id == "shareable" else str(default_path(client_id)))
        except PlugboardError:
            self.path.clear()
        self.preview()

    def _choose(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Config file to import", self.path.text(), "JSON (*.json)")
        if path:
            self.path.setText(path)
            self.preview()

    def preview(self) -> None:
        self.list.clear()
        self.plan = None
        self.import_button.setEnabled(False)
        text = self.path.text().strip()
        if not text:
            self.message.setText("Choose the file to import.")
            return
        try:
            self.plan = preview_import(self.client.currentData(), Path(text).expanduser(), self.connectors)
        except PlugboardError as exc:
            self.message.setText(exc.plain)
            return
        for item in self.plan.items:
            row = QListWidgetItem(f"{item.name}: {item.summary()}")
            row.setData(NAME_ROLE, item.name)
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Checked if item.action == NEW else Qt.CheckState.Unchecked)
            if item.action != NEW:
                row.setFlags(row.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.list.addItem(row)
        new = sum(1 for i in self.plan.items if i.action == NEW)
        self.message.setText(
            f"{len(self.plan.items)} servers found, {new} new." if self.plan.items else "No servers in it."
        )
        self.import_button.setEnabled(new > 0)

    def chosen(self) -> list[str]:
        rows = (self.list.item(i) for i in range(self.list.count()))
        return [r.data(NAME_ROLE) for r in rows if r.checkState() == Qt.CheckState.Checked]

    def run_import(self) -> None:
        plan = self.plan
        if plan is None or self.workers.busy():
            return
        connectors, move, only = self.connectors, self.move_secrets.isChecked(), self.chosen()
        self.buttons.setEnabled(False)
        self.message.setText("Importing…")

        def done(outcome: ImportResult) -> None:
            self.outcome = outcome
            self.buttons.setEnabled(True)
            self.accept()

        def failed(message: str) -> None:
            self.buttons.setEnabled(True)
            self.message.setText(message)

        self.workers.start("import", lambda: apply_import(plan, connectors, move_secrets=move, only=only), done, failed)

    def done(self, result: int) -> None:
        self.workers.join()
        super().done(result)
