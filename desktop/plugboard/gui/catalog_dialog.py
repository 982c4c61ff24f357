"""Guided add: pick a server from the catalog (searchable), fill its form (folder pickers, masked secrets), and add.

Built for someone who has never seen JSON: the first field that needs an answer has the focus as soon as a server is
picked, so a GitHub token is one paste away. The dialog checks the runtime first (and, when it is missing, says
what to install, with the link), then stores secrets in the keyring and writes the entry (`core.catalog`); the page
that opened it tests the new connector with the doctor and offers the Claude restart.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from plugboard.core.clients.catalog import (
    CatalogInput,
    CatalogItem,
    add_from_catalog,
    check_runtime,
    load_catalog,
    plan_add,
)
from plugboard.core.config.connectors import Connectors
from plugboard.core.errors import PlugboardError

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1


class CatalogDialog(QDialog):
    def __init__(self, connectors: Connectors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a connector")
        self.connectors = connectors
        self.catalog = load_catalog()
        self.added: str | None = None
        """The name of the connector this dialog added, once it has."""
        self.fields: dict[str, QLineEdit] = {}

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search: files, github, database, browser…")
        self.search.setAccessibleName("Search the catalog")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setAccessibleName("Servers")
        for item in self.catalog.items:
            row = QListWidgetItem(f"{item.name}\n    {item.description}")
            row.setData(ITEM_ROLE, item.id)
            row.setToolTip(item.description)
            self.list.addItem(row)
        self.list.setWordWrap(True)
        self.list.setSpacing(4)  # room between entries: each is a name line and a description line
        self.search.textChanged.connect(self._filter)
        self.list.currentItemChanged.connect(lambda current, _previous: self._pick(current))

        self.title = QLabel()
        self.title.setObjectName("title")
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.docs = QPushButton("Read its documentation")
        self.docs.clicked.connect(self._open_docs)
        self.runtime = QLabel()
        self.runtime.setWordWrap(True)
        self.runtime.setOpenExternalLinks(True)
        self.form_box = QFormLayout()
        self.name = QLineEdit()
        self.name.setAccessibleName("Connector name")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("message")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = self.buttons.addButton("&Add", QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setEnabled(False)
        self.buttons.accepted.connect(self.add)
        self.buttons.rejected.connect(self.reject)

        detail = QVBoxLayout()
        detail.addWidget(self.title)
        detail.addWidget(self.about)
        detail.addWidget(self.docs, 0, Qt.AlignmentFlag.AlignLeft)
        detail.addWidget(self.runtime)
        detail.addLayout(self.form_box)
        detail.addWidget(self.message)
        detail.addStretch(1)
        detail.addWidget(self.buttons)
        left = QVBoxLayout()
        left.addWidget(self.search)
        left.addWidget(self.list, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(detail, 3)
        self.resize(860, 560)
        self.item: CatalogItem | None = None
        self._pick(None)

    # -- choosing ------------------------------------------------------------------------------------------------

    def _filter(self, text: str) -> None:
        wanted = {item.id for item in self.catalog.search(text)}
        for i in range(self.list.count()):
            row = self.list.item(i)
            row.setHidden(row.data(ITEM_ROLE) not in wanted)

    def select(self, item_id: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(ITEM_ROLE) == item_id:
                self.list.setCurrentRow(i)
                return
        raise KeyError(item_id)

    def _pick(self, row: QListWidgetItem | None) -> None:
        while self.form_box.rowCount():
            self.form_box.removeRow(0)
        self.fields.clear()
        self.item = None if row is None else self.catalog.get(row.data(ITEM_ROLE))
        visible = self.item is not None
        for widget in (self.docs, self.runtime):
            widget.setVisible(visible)
        self.add_button.setEnabled(False)
        self.message.clear()
        if self.item is None:
            self.title.setText("Pick a server")
            self.about.setText("Each one gives Claude a new ability. Pick one on the left to see what it needs.")
            return
        item = self.item
        self.title.setText(f"<b>{item.name}</b>")
        self.about.setText(item.description)
        runtime = check_runtime(item)
        self.runtime.setText(runtime.message)
        self.name = QLineEdit(self._free_name(item.id))
        self.name.setAccessibleName("Connector name")
        self.name.textChanged.connect(self._check)
        self.form_box.addRow("Name in Claude", self.name)
        for spec in item.inputs:
            self.form_box.addRow(self._label(spec), self._field(spec))
        self.runtime_ok = runtime.ok
        self._check()
        first_empty = next((f for f in self.fields.values() if not f.text()), None)
        # After this event: the new fields are shown only once the layout runs, and hidden widgets take no focus.
        QTimer.singleShot(0, (first_empty or self.add_button).setFocus)

    def _free_name(self, base: str) -> str:
        names = {c.name for c in self.connectors.all()}
        name, number = base, 2
        while name in names:
            name, number = f"{base}-{number}", number + 1
        return name

    def _label(self, spec: CatalogInput) -> str:
        return spec.label + ("" if spec.required else " (optional)")

    def _field(self, spec: CatalogInput) -> QWidget:
        edit = QLineEdit()
        edit.setAccessibleName(spec.label)
        edit.setPlaceholderText(spec.placeholder)
        edit.setToolTip(spec.help)
        if spec.is_secret:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText(spec.placeholder or "paste it here; it is kept in your keychain")
        edit.textChanged.connect(self._check)
        self.fields[spec.id] = edit
        if spec.type not in ("folder", "file"):
            return edit
        browse = QPushButton("Choose…")
        browse.setAccessibleName(f"Choose {spec.label}")
        browse.clicked.connect(lambda: self._browse(spec, edit))
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        row.addWidget(browse)
        return box

    def _browse(self, spec: CatalogInput, edit: QLineEdit) -> None:
        if spec.type == "folder":
            path = QFileDialog.getExistingDirectory(self, spec.label)
        else:
            path, _filter = QFileDialog.getSaveFileName(self, spec.label)
        if path:
            edit.setText(path)

    def _open_docs(self) -> None:
        if self.item is not None:
            QDesktopServices.openUrl(QUrl(self.item.docs))

    # -- checking and adding -------------------------------------------------------------------------------------

    def values(self) -> dict[str, str]:
        return {key: edit.text() for key, edit in self.fields.items() if edit.text()}

    def _plan(self) -> object:
        assert self.item is not None
        return plan_add(self.item, self.name.text().strip(), self.values())

    def _check(self) -> None:
        if self.item is None:
            return
        if not self.runtime_ok:
            self.add_button.setEnabled(False)
            return
        try:
            self._plan()
        except PlugboardError as exc:
            missing = [s for s in self.item.inputs if s.required and not self.fields[s.id].text()]
            # An empty required field is simply not filled yet; say so gently, and only that.
            self.message.setText(f"Fill in “{missing[0].label}”." if missing else str(exc)[:1].upper() + str(exc)[1:])
            self.add_button.setEnabled(False)
            return
        self.message.setText("Ready to add.")
        self.add_button.setEnabled(True)

    def add(self) -> None:
        if self.item is None:
            return
        try:
            plan = plan_add(self.item, self.name.text().strip(), self.values())
            add_from_catalog(self.connectors, plan)
        except PlugboardError as exc:
            self.message.setText(str(exc))
            return
        self.added = plan.name
        self.accept()
