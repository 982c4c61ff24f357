"""Guided add: the catalog as cards, by category and search; pick one, fill its form (folder pickers, masked
secrets), and add.

Built for someone who has never seen JSON. Two steps in one window, so it fits a small screen at 200 %: the cards
(a search field, a category chooser, a card per server with its name, category and what it does, "Added as …" on
the ones already in Claude's config), then the chosen server's form with Back. The first field that needs an
answer has the focus as soon as a server is picked, so a GitHub token is one paste away. The dialog checks the
runtime first (and, when it is missing, says what to install, with a clickable link), then stores secrets in the
keyring and writes the entry (`core.clients.catalog`); the page that opened it tests the new connector.

A server already added says so on its card and in its form, with "Open it" (the dialog emits `open_requested`
with the connector's name; the Connectors page opens it) — adding a second copy is still possible, under a new
name, but never silently. Categories are how the cards are grouped for reading; they are presentation, kept here
(`CATEGORIES`), and a server not listed shows under "More".
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
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
from plugboard.gui.fit import fit_to_screen, scrolling
from plugboard.gui.widgets import MessageLabel
from plugboard.gui.worker import Workers

ALL = "All categories"
MORE = "More"
CATEGORIES = {
    "Files and data": ("filesystem", "gdrive", "postgres", "sqlite", "memory"),
    "Code": ("github", "git", "sentry"),
    "Web": ("fetch", "brave-search", "playwright"),
    "Work": ("slack", "notion", "linear"),
    "Thinking and time": ("time", "sequential-thinking"),
    "Your own server": ("remote", "ssh-remote"),
}
CARD_COLUMNS = 2


def category_of(item_id: str) -> str:
    return next((name for name, ids in CATEGORIES.items() if item_id in ids), MORE)


class Card(QFrame):
    """One server: name, category, what it does; focusable, picked by click, Enter or Space."""

    picked = Signal(str)

    def __init__(self, item: CatalogItem, added_as: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item_id = item.id
        self.setObjectName("card")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName(item.name)
        state = f" Already added as {added_as}." if added_as else ""
        self.setAccessibleDescription(f"{category_of(item.id)}. {item.description}{state}")
        title = QLabel(item.name)
        title.setObjectName("cardTitle")
        category = QLabel(category_of(item.id))
        category.setObjectName("cardCategory")
        about = QLabel(item.description)
        about.setWordWrap(True)
        about.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        top = QHBoxLayout()
        top.addWidget(title, 1)
        if added_as:
            added = QLabel(f"✓ Added as {added_as}")
            added.setObjectName("cardAdded")
            top.addWidget(added)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(category)
        layout.addWidget(about, 1)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.picked.emit(self.item_id)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.picked.emit(self.item_id)
            return
        super().keyPressEvent(event)


class CatalogDialog(QDialog):
    open_requested = Signal(str)
    """"Open it" on a server already added: the name of the connector to show (the dialog then closes)."""

    def __init__(self, connectors: Connectors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workers = Workers(self)
        self.setWindowTitle("Add a connector")
        self.connectors = connectors
        self.catalog = load_catalog()
        self.added: str | None = None
        """The name of the connector this dialog added, once it has."""
        self.fields: dict[str, QLineEdit] = {}

        self.added_as = self._added_as()
        """Catalog item id -> the name of a connector in Claude's config that runs it."""
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search: files, github, database, browser…")
        self.search.setAccessibleName("Search the catalog")
        self.search.setClearButtonEnabled(True)
        self.category = QComboBox()
        self.category.setAccessibleName("Category")
        self.category.addItems([ALL, *CATEGORIES, MORE])
        self.cards: dict[str, Card] = {}
        grid_host = QWidget()
        self.grid = QGridLayout(grid_host)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setSpacing(8)
        for item in self.catalog.items:
            card = Card(item, self.added_as.get(item.id))
            card.picked.connect(self.select)
            self.cards[item.id] = card
        self.card_area = QScrollArea()
        self.card_area.setObjectName("cards")
        self.card_area.setAccessibleName("Servers")
        self.card_area.setWidgetResizable(True)
        self.card_area.setFrameShape(QFrame.Shape.NoFrame)
        # The cards are the Tab stops, not the area around them (it scrolls to the card that has the focus).
        self.card_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.card_area.setWidget(grid_host)
        self.empty = QLabel("Nothing matches. Try another word, or All categories.")
        self.empty.setProperty("role", "muted")
        self.search.textChanged.connect(self._filter)
        self.category.currentTextChanged.connect(self._filter)
        browse_bar = QHBoxLayout()
        browse_bar.addWidget(self.search, 1)
        browse_bar.addWidget(self.category)
        heading = QLabel("Add a connector")
        heading.setProperty("role", "title")
        hint = QLabel("Each one gives Claude a new ability. Pick one to see what it needs.")
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)
        self.browse_page = QWidget()
        browse = QVBoxLayout(self.browse_page)
        browse.setContentsMargins(0, 0, 0, 0)
        browse.addWidget(heading)
        browse.addWidget(hint)
        browse.addLayout(browse_bar)
        browse.addWidget(self.empty)
        browse.addWidget(self.card_area, 1)
        self.close_row = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.close_row.rejected.connect(self.reject)
        browse.addWidget(self.close_row)

        self.back = QPushButton("← All servers")
        self.back.setAccessibleName("Back to all servers")
        self.back.clicked.connect(self.show_cards)
        self.title = QLabel()
        self.title.setObjectName("title")
        self.title.setProperty("role", "subtitle")
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.already = MessageLabel(object_name="note")
        self.already.setAccessibleName("Already added")
        self.open_button = QPushButton("Open it")
        self.open_button.setAccessibleDescription("Show the connector that already runs this server")
        self.open_button.clicked.connect(self._open_existing)
        already_row = QHBoxLayout()
        already_row.addWidget(self.already, 1)
        already_row.addWidget(self.open_button)
        self.docs = QPushButton("Read its documentation")
        self.docs.clicked.connect(self._open_docs)
        self.runtime = MessageLabel()
        self.runtime.setAccessibleName("What it needs")
        self.form_box = QFormLayout()
        self.name = QLineEdit()
        self.name.setAccessibleName("Connector name")
        self.message = MessageLabel(object_name="message")
        self.message.setAccessibleName("Message")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = self.buttons.addButton("&Add", QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setEnabled(False)
        for button in (*self.buttons.buttons(), *self.close_row.buttons()):
            assert isinstance(button, QPushButton)
            button.setAutoDefault(False)  # Enter is this dialog's own (keyPressEvent)
        self.buttons.accepted.connect(self.add)
        self.buttons.rejected.connect(self.reject)

        self.form_page = QWidget()
        form_body = QWidget()
        detail = QVBoxLayout(form_body)
        detail.setContentsMargins(0, 0, 0, 0)
        detail.addWidget(self.back, 0, Qt.AlignmentFlag.AlignLeft)
        detail.addWidget(self.title)
        detail.addWidget(self.about)
        detail.addLayout(already_row)
        detail.addWidget(self.docs, 0, Qt.AlignmentFlag.AlignLeft)
        detail.addWidget(self.runtime)
        detail.addLayout(self.form_box)
        detail.addWidget(self.message)
        detail.addStretch(1)
        # A server with many fields scrolls; Add and Cancel stay in reach under them.
        form_layout = QVBoxLayout(self.form_page)
        form_layout.setContentsMargins(0, 0, 0, 0)
        form_layout.addWidget(scrolling(form_body), 1)
        form_layout.addWidget(self.buttons)
        self.steps = QStackedWidget()
        self.steps.addWidget(self.browse_page)
        self.steps.addWidget(self.form_page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.steps)
        self.item: CatalogItem | None = None
        self._filter()
        fit_to_screen(self, 760, 560)  # as large as the cards want, within the screen

    # -- choosing ------------------------------------------------------------------------------------------------

    def _added_as(self) -> dict[str, str]:
        try:
            connectors = self.connectors.all()
        except PlugboardError:
            return {}
        found: dict[str, str] = {}
        for connector in connectors:
            item = self.catalog.match(connector.server_command)
            if item is not None:
                found.setdefault(item.id, connector.name)
        return found

    def _filter(self, _text: str = "") -> None:
        """Lay out the cards that match the search and the category, in the catalog's order of relevance."""
        wanted = [i.id for i in self.catalog.search(self.search.text())]
        category = self.category.currentText()
        shown = [i for i in wanted if category == ALL or category_of(i) == category]
        for card in self.cards.values():
            self.grid.removeWidget(card)
            card.hide()
        for n, item_id in enumerate(shown):
            card = self.cards[item_id]
            self.grid.addWidget(card, n // CARD_COLUMNS, n % CARD_COLUMNS)
            card.show()
        self.grid.setRowStretch(self.grid.rowCount(), 1)
        self.empty.setVisible(not shown)
        # Tab goes search → category → the cards in reading order → Cancel (cards are re-laid out, so set here).
        chain: list[QWidget] = [self.search, self.category, *(self.cards[i] for i in shown)]
        chain += self.close_row.buttons()
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    def _pick_first(self) -> None:
        """Enter in the search field opens the first server shown (none shown: nothing happens)."""
        shown = self.visible_cards()
        if shown and self.steps.currentWidget() is self.browse_page:
            self.select(shown[0])

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter never closes the dialog: on the cards it belongs to the search field or a card; on the form it
        adds, once the form is ready. (QDialog would click whichever button is the default, Cancel included.)"""
        plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            focused = self.focusWidget()
            if focused is self.search:
                # Here, not on returnPressed: picking hides the search field, and the focus moves on before the
                # key reaches the dialog.
                self._pick_first()
            elif isinstance(focused, QPushButton) and focused.isEnabled():
                focused.click()
            elif self.steps.currentWidget() is self.form_page and self.add_button.isEnabled():
                self.add()
            return
        super().keyPressEvent(event)

    def visible_cards(self) -> list[str]:
        return [item_id for item_id, card in self.cards.items() if not card.isHidden()]

    def show_cards(self) -> None:
        self.steps.setCurrentWidget(self.browse_page)
        card = self.cards.get(self.item.id) if self.item is not None else None
        QTimer.singleShot(0, (card or self.search).setFocus)

    def select(self, item_id: str) -> None:
        """Pick a server: its form, the first empty field focused."""
        if item_id not in self.cards:
            raise KeyError(item_id)
        self._pick(self.catalog.get(item_id))
        self.steps.setCurrentWidget(self.form_page)

    def _open_existing(self) -> None:
        if self.item is not None and (name := self.added_as.get(self.item.id)) is not None:
            self.open_requested.emit(name)
            self.reject()

    def _pick(self, item: CatalogItem | None) -> None:
        while self.form_box.rowCount():
            self.form_box.removeRow(0)
        self.fields.clear()
        self.item = item
        visible = self.item is not None
        for widget in (self.docs, self.runtime):
            widget.setVisible(visible)
        self.add_button.setEnabled(False)
        self.message.set_message("")
        if self.item is None:
            return
        item = self.item
        self.title.setText(f"<b>{item.name}</b>")
        self.about.setText(item.description)
        existing = self.added_as.get(item.id)
        self.already.set_message(
            f"Already added as “{existing}”. Add another only if you want a second copy." if existing else ""
        )
        self.already.setVisible(existing is not None)
        self.open_button.setVisible(existing is not None)
        self.add_button.setText("Add another" if existing else "&Add")
        runtime = check_runtime(item)
        self.runtime.set_message(runtime.message)
        self.name = QLineEdit(self._free_name(item.id))
        self.name.setAccessibleName("Connector name")
        self.name.textChanged.connect(self._check)
        self.form_box.addRow("Name in Claude", self.name)
        for spec in item.inputs:
            self.form_box.addRow(self._label(spec), self._field(spec))
        self.runtime_ok = runtime.ok
        self._check()
        first_empty = next((f for f in self.fields.values() if not f.text()), None)
        focus = first_empty or (self.open_button if existing else self.add_button)
        # After this event: the new fields are shown only once the layout runs, and hidden widgets take no focus.
        QTimer.singleShot(0, focus.setFocus)

    def _free_name(self, base: str) -> str:
        names = {c.name for c in self.connectors.all()}
        name, number = base, 2
        while name in names:
            name, number = f"{base}-{number}", number + 1
        return name

    def _label(self, spec: CatalogInput) -> str:
        """The field's label, saying "(optional)" once: some catalog labels already say so."""
        says_optional = "optional" in spec.label.lower()
        return spec.label + ("" if spec.required or says_optional else " (optional)")

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
            self.message.setText(f"Fill in “{missing[0].label}”." if missing else exc.plain[:1].upper() + exc.plain[1:])
            self.add_button.setEnabled(False)
            return
        self.message.setText("Ready to add.")
        self.add_button.setEnabled(True)

    def add(self) -> None:
        """Add on a worker (the keychain, then the locked write of Claude's file); close when done, or say why not."""
        if self.item is None or self.workers.busy():
            return
        item, name, values, connectors = self.item, self.name.text().strip(), self.values(), self.connectors
        self.add_button.setEnabled(False)
        self.message.setText("Adding…")

        def work() -> str:
            plan = plan_add(item, name, values)
            add_from_catalog(connectors, plan)
            return plan.name

        def added(name: str) -> None:
            self.added = name
            self.accept()

        def failed(message: str) -> None:
            self.message.setText(message)
            self.add_button.setEnabled(True)

        self.workers.start("add", work, added, failed)

    def done(self, result: int) -> None:
        self.workers.join()
        super().done(result)
