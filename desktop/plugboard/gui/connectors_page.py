"""The Connectors page: every connector with a status light and a switch; applying switches to Claude Desktop.

Switching while Claude Desktop is not running writes at once. While it runs, switches are staged
(`core.apply.PendingChanges`) and a banner offers "Restart Claude now", which runs `core.apply.apply_changes`
(quit → write → relaunch → wipe guard) on a worker thread. The rules live in the core; this page only shows them.

Add / edit / duplicate / remove (the form in `connector_dialog`) write at once even while Claude runs — staging a
whole form's worth of edits would show a list that is not the file — and count towards the same banner, so the
restart and its wipe guard follow. Every change made here can be undone once (`core.undo`).
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from plugboard.core.claude.app import ClaudeApp, ClaudeStatus
from plugboard.core.claude.first_run import claude_setup
from plugboard.core.clients.catalog import describe as describe_connector
from plugboard.core.clients.catalog import load_catalog
from plugboard.core.config import undo
from plugboard.core.config.apply import WIPE_GUARD_S, ApplyOutcome, PendingChanges, apply_changes
from plugboard.core.config.connectors import Connector, Connectors
from plugboard.core.config.form import ConnectorForm
from plugboard.core.errors import PlugboardError
from plugboard.core.launch import status as status_records
from plugboard.core.probe.doctor import DoctorReport, examine_connector
from plugboard.gui.backups_dialog import BackupsDialog
from plugboard.gui.catalog_dialog import CatalogDialog
from plugboard.gui.connector_dialog import ConnectorDialog
from plugboard.gui.connectors_model import DESCRIPTION, KIND, NAME, STATUS, SWITCH, ConnectorsModel, Row
from plugboard.gui.import_dialog import ImportDialog
from plugboard.gui.toggle_delegate import ToggleDelegate
from plugboard.gui.worker import Workers

# Status lights come from small JSON files: re-read them every 3 s.
STATUS_POLL_MS = 3000
# Whether Claude Desktop runs is a process-table scan (~15 ms on a worker thread). A switch click always asks
# afresh, so the poll only notices Claude quitting by itself (to write staged switches) and keeps the banner true:
# every 10 s is enough, every 2 s while switches wait. (Scanning every 3 s cost ~0.5 % CPU idle.)
CLAUDE_POLL_MS = 10_000
CLAUDE_POLL_PENDING_MS = 2000
# Closing the window waits this long for a running apply/poll to finish before leaving it to die with the app.
WORKER_JOIN_S = 2.0


def describe(connector: Connector) -> tuple[str, str]:
    """The status phrase and light colour for one connector."""
    if not connector.enabled:
        return "Switched off", "off"
    if connector.via_plugboard is None:
        return "Claude Desktop starts it directly, so Plugboard cannot see whether it runs", "off"
    label = status_records.connector_status_label(connector.name)
    if label == "running":
        return "Running in Claude", "ok"
    if label.startswith(("failed", "crashed")) or (label.startswith("exited") and label != "exited 0"):
        return f"Failing: {label}", "bad"
    return "Stopped" if label != "never started" else "Not started yet", "off"


class ConnectorsPage(QWidget):
    claude_progress = Signal(float)
    remote_requested = Signal()
    """"Add remote…" was clicked: the window opens the Remote connector wizard (it lives on the Remote page)."""
    applied = Signal()
    """"Restart Claude now" finished (well or not); staged switches are written or reported."""
    rows_changed = Signal(list)
    """The rows shown changed (for the tray's quick switches and notifications)."""
    wrote = Signal()
    """Emitted after this page changed Claude's config, so the window does not report its own write as foreign."""

    def __init__(self, connectors: Connectors, claude: ClaudeApp, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.connectors = connectors
        self.claude = claude
        self.pending = PendingChanges()
        self.claude_running = False
        self.claude_known = False
        self.guard_seconds = WIPE_GUARD_S
        self.catalog = load_catalog()
        self.unloaded = 0
        """Changes written while Claude runs: it loads them at its next start."""
        self.last_undo: undo.Undo | None = None
        self.testing: str | None = None
        """The connector the doctor is examining right now, if any."""
        self.workers = Workers(self, on_failed=self.show_note)

        self.restart_banner = QFrame()
        self.restart_banner.setObjectName("restartBanner")
        self.restart_text = QLabel()
        self.restart_button = QPushButton("Restart Claude now")
        self.restart_button.clicked.connect(self.apply_now)
        banner_row = QHBoxLayout(self.restart_banner)
        banner_row.addWidget(self.restart_text, 1)
        banner_row.addWidget(self.restart_button)
        self.restart_banner.hide()

        self.note = QLabel()
        self.note.setObjectName("note")
        self.note.setWordWrap(True)
        self.note.hide()
        self.source = QLabel()
        self.source.setObjectName("source")
        self.source.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.model = ConnectorsModel()
        self.model.toggle_requested.connect(self.toggle)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Connectors")
        self.table.setItemDelegateForColumn(SWITCH, ToggleDelegate(self.table))
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(STATUS, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(KIND, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(SWITCH, QHeaderView.ResizeMode.ResizeToContents)
        self.table.installEventFilter(self)

        self.catalog_button = QPushButton("Add from &catalog…")
        self.catalog_button.setDefault(True)
        self.add_button = QPushButton("Add &custom…")
        self.remote_button = QPushButton("Add &remote…")
        self.remote_button.setToolTip("A server on another machine, reached through SSH")
        self.remote_button.clicked.connect(self.remote_requested.emit)
        self.edit_button = QPushButton("&Edit…")
        self.duplicate_button = QPushButton("D&uplicate")
        self.remove_button = QPushButton("&Remove")
        self.undo_button = QPushButton("U&ndo")
        self.import_button = QPushButton("&Import…")
        self.import_button.setToolTip("Bring servers from Cursor, VS Code, Claude Code, Windsurf, Cline or LM Studio")
        self.import_button.clicked.connect(self.open_import)
        self.backups_button = QPushButton("&Backups…")
        self.backups_button.setToolTip("Put back an earlier version of Claude's config")
        self.backups_button.clicked.connect(self.open_backups)
        self.catalog_button.clicked.connect(self.add_from_catalog)
        self.add_button.clicked.connect(self.add_connector)
        self.edit_button.clicked.connect(self.edit_connector)
        self.duplicate_button.clicked.connect(self.duplicate_connector)
        self.remove_button.clicked.connect(self.remove_connector)
        self.undo_button.clicked.connect(self.undo_last)
        tools = QHBoxLayout()
        for button in (
            self.catalog_button,
            self.add_button,
            self.remote_button,
            self.edit_button,
            self.duplicate_button,
            self.remove_button,
        ):
            tools.addWidget(button)
        tools.addStretch(1)
        tools.addWidget(self.undo_button)
        tools.addWidget(self.import_button)
        tools.addWidget(self.backups_button)
        self.table.doubleClicked.connect(lambda _index: self.edit_connector())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(self.restart_banner)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.source)

        self.claude_progress.connect(self._show_progress)
        self.status_timer = QTimer(self)
        self.status_timer.setInterval(STATUS_POLL_MS)
        self.status_timer.timeout.connect(self._refresh_quietly)
        self.status_timer.start()
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(CLAUDE_POLL_MS)
        self.poll_timer.timeout.connect(self.poll_claude)
        self.poll_timer.start()
        self.reload()
        self.poll_claude()

    # -- showing ---------------------------------------------------------------------------------------------

    def reload(self, note: str | None = None) -> None:
        """Re-read connectors and statuses; show `note`, or the standing notes (errors, no file yet)."""
        path = self.connectors.path
        self.source.setText(f"Claude Desktop config: {path}")
        try:
            self.refresh_rows()
        except PlugboardError as exc:
            self.model.set_rows([])
            self.rows_changed.emit([])
            self.show_note(str(exc))
            return
        if note:
            self.show_note(note)
        elif (first_run := claude_setup(self.connectors.discovery).message) is not None:
            self.show_note(first_run.replace("--config PATH", "Settings").replace("--config", "Settings"))
        else:
            self.note.hide()
        self._update_banner()
        self._update_buttons()

    def refresh_rows(self) -> None:
        """Rebuild the rows (connectors, status lights, staged switches) keeping the selection and the note."""
        selected = self.selected()
        rows = []
        for connector in self.connectors.all():
            phrase, light = describe(connector)
            if connector.name == self.testing:
                phrase, light = "Running here: Plugboard is testing it", "ok"
            rows.append(
                Row(
                    connector,
                    phrase,
                    light,
                    self.pending.wanted(connector.name),
                    describe_connector(connector, self.catalog),
                )
            )
        if rows == [self.model.row(i) for i in range(self.model.rowCount())]:
            return
        self.model.set_rows(rows)
        if selected is not None:
            names = [r.connector.name for r in rows]
            if selected.name in names:
                self.table.selectRow(names.index(selected.name))
        self.rows_changed.emit(rows)

    def show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.show()

    def _update_buttons(self) -> None:
        selected = self.selected() is not None
        for button in (self.edit_button, self.duplicate_button, self.remove_button):
            button.setEnabled(selected)
        self.undo_button.setEnabled(self.last_undo is not None)
        self.undo_button.setToolTip(f"Undo: {self.last_undo.label}" if self.last_undo else "Nothing to undo")

    def _update_banner(self) -> None:
        count = len(self.pending) + self.unloaded
        if not count:
            self.restart_banner.hide()
            return
        noun = "change" if count == 1 else "changes"
        self.restart_text.setText(f"Claude Desktop needs a restart to apply {count} {noun}.")
        self.restart_banner.show()

    def _show_progress(self, waited: float) -> None:
        self.restart_text.setText(f"Waiting for Claude Desktop to quit… {waited:.0f} s")

    # -- switching -------------------------------------------------------------------------------------------

    def toggle(self, name: str, wanted: bool) -> None:
        # Ask afresh: writing under a running Claude (which may rewrite the file from its cache) loses the change.
        self._claude_status(self.claude.status())
        rows = (self.model.row(i) for i in range(self.model.rowCount()))
        connector = next(r.connector for r in rows if r.connector.name == name)
        if self.claude_running:
            self.pending.toggle(name, connector.enabled, wanted)
            self.reload()
            return
        try:
            if wanted:
                self.connectors.enable(name)
            else:
                self.connectors.disable(name)
        except PlugboardError as exc:
            self.reload(str(exc))
            return
        self._changed(undo.after_toggle(name, wanted))
        self.reload(f'{"Enabled" if wanted else "Disabled"} "{name}". Claude Desktop picks it up when it starts.')

    def apply_now(self) -> None:
        changes = dict(self.pending.items())
        self.restart_button.setEnabled(False)
        self.restart_text.setText("Restarting Claude Desktop…")
        self.workers.start(
            "apply",
            lambda: apply_changes(
                self.connectors,
                changes,
                self.claude,
                progress=self.claude_progress.emit,
                guard_seconds=self.guard_seconds,
            ),
            on_done=self._applied,
            on_failed=self._apply_failed,
        )

    def _applied(self, outcome: ApplyOutcome) -> None:
        self.wrote.emit()
        self.restart_button.setEnabled(True)
        if outcome.ok:
            self.pending.clear()
            self.unloaded = 0
        self.applied.emit()
        self.reload(outcome.message)

    def _apply_failed(self, message: str) -> None:
        self.wrote.emit()
        self.restart_button.setEnabled(True)
        self.pending.clear()  # whatever was written is on disk now; show the file as it is
        self.applied.emit()
        self.reload(message)

    # -- add / edit / duplicate / remove / undo --------------------------------------------------------------

    def selected(self) -> Connector | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isSelected(index):
            return None
        return self.model.row(index.row()).connector

    def open_dialog(self, form: ConnectorForm | None, original: str | None) -> ConnectorDialog:
        """Open the form (non-modal, so the app stays usable); the page reloads when it saves."""
        dialog = ConnectorDialog(self.connectors, form, original=original, parent=self)
        before = self.connectors.get(original) if original else None

        def saved(result: int) -> None:
            if result != QDialog.DialogCode.Accepted:
                return
            name = dialog.form().name
            self._changed(undo.after_edit(before, name) if before else undo.after_add(name))
            self.reload(f'Saved "{name}".' + self._restart_hint())

        dialog.finished.connect(saved)
        dialog.open()
        return dialog

    def add_from_catalog(self) -> CatalogDialog:
        """The guided add for everyone: pick, fill, add; then the new connector is tested right away."""
        dialog = CatalogDialog(self.connectors, self)

        def added(result: int) -> None:
            if result != QDialog.DialogCode.Accepted or dialog.added is None:
                return
            name = dialog.added
            self._changed(undo.after_add(name))
            self.test_connector(name)
            self.reload(f'Added "{name}". Testing it…')

        dialog.finished.connect(added)
        dialog.open()
        return dialog

    def test_connector(self, name: str) -> None:
        """Run the doctor on one connector (worker thread) and say in the note what it found."""
        connector = self.connectors.get(name)
        logs_dir = self.connectors.discovery.logs_dir
        self.testing = name
        self.workers.start(
            "doctor",
            lambda: examine_connector(connector, logs_dir=logs_dir),
            on_done=self._tested,
            on_failed=self._test_failed,
        )

    def _tested(self, report: DoctorReport) -> None:
        self.testing = None
        if report.ok:
            tools = report.tools or []
            offer = f"{len(tools)} tool{'s' if len(tools) != 1 else ''}"
            text = f'"{report.name}" works: it offers {offer}.'
        else:
            first = report.problems[0].summary if report.problems else report.reason.text
            text = f'"{report.name}" does not work yet: {first}'
        self.reload(text + self._restart_hint())

    def _test_failed(self, message: str) -> None:
        self.testing = None
        self.reload(message)

    def open_import(self) -> ImportDialog:
        dialog = ImportDialog(self.connectors, self)

        def imported(result: int) -> None:
            done = dialog.outcome
            if result != QDialog.DialogCode.Accepted or done is None:
                return
            self._changed(None)
            names = ", ".join(f'"{n}"' for n in [*done.added, *done.parked]) or "nothing"
            later = [f"plugboard secret set {c} {k}" for c, k in done.missing_secrets]
            hint = f" Still to set: {'; '.join(later)}." if later else ""
            self.reload(f"Imported {names}.{hint}" + self._restart_hint())

        dialog.finished.connect(imported)
        dialog.open()
        return dialog

    def open_backups(self) -> BackupsDialog:
        dialog = BackupsDialog(self.connectors, self)

        def restored(result: int) -> None:
            if result == QDialog.DialogCode.Accepted and dialog.restored:
                self._changed(None)
                self.reload(f"Restored the backup {dialog.restored}." + self._restart_hint())

        dialog.finished.connect(restored)
        dialog.open()
        return dialog

    def note_added(self, name: str) -> None:
        """A connector added elsewhere in the app (the Remote wizard, which tested it already)."""
        self._changed(undo.after_add(name))
        self.reload(f'Added "{name}".' + self._restart_hint())

    def add_connector(self) -> ConnectorDialog:
        return self.open_dialog(None, None)

    def edit_connector(self) -> ConnectorDialog | None:
        connector = self.selected()
        return self.open_dialog(ConnectorForm.from_connector(connector), connector.name) if connector else None

    def duplicate_connector(self) -> ConnectorDialog | None:
        connector = self.selected()
        if connector is None:
            return None
        form = ConnectorForm.from_connector(connector)
        names = {c.name for c in self.connectors.all()}
        form.name, number = f"{connector.name} copy", 2
        while form.name in names:
            form.name, number = f"{connector.name} copy {number}", number + 1
        return self.open_dialog(form, None)

    def remove_connector(self) -> None:
        connector = self.selected()
        if connector is None:
            return
        live = [c.name for c in self.connectors.all() if c.enabled]
        index = live.index(connector.name) if connector.name in live else len(live)
        try:
            self.connectors.remove(connector.name)
        except PlugboardError as exc:
            self.reload(str(exc))
            return
        self._changed(undo.after_remove(connector, index))
        self.reload(f'Removed "{connector.name}". Undo brings it back.' + self._restart_hint())

    def undo_last(self) -> None:
        if self.last_undo is None:
            return
        step, self.last_undo = self.last_undo, None
        try:
            step.apply(self.connectors)
        except PlugboardError as exc:
            self.reload(f"Could not undo: {exc}")
            return
        self._changed(None)
        self.reload(f"Undone: {step.label}." + self._restart_hint())

    def _changed(self, step: undo.Undo | None) -> None:
        """Bookkeeping after this page wrote Claude's config."""
        self.wrote.emit()
        self.last_undo = step
        if self.claude_running:
            self.unloaded += 1

    def _restart_hint(self) -> str:
        return " Claude Desktop loads it when it restarts." if self.claude_running else ""

    # -- Claude Desktop's state --------------------------------------------------------------------------------

    def _refresh_quietly(self) -> None:
        with contextlib.suppress(PlugboardError):  # the standing note already says what is wrong with the file
            self.refresh_rows()

    def poll_claude(self) -> None:
        """Look whether Claude runs (on a worker thread)."""
        self.poll_timer.setInterval(CLAUDE_POLL_PENDING_MS if len(self.pending) else CLAUDE_POLL_MS)
        if self.workers.busy():
            return  # an apply or the previous poll is still busy
        self.workers.start("claude-status", self.claude.status, on_done=self._claude_status)

    def _claude_status(self, status: ClaudeStatus) -> None:
        was = self.claude_running
        self.claude_running = status.running
        self.claude_known = True
        if was and not status.running and len(self.pending):
            # Claude quit by itself: nothing to restart any more, write the staged switches now.
            changes = dict(self.pending.items())
            self.pending.clear()
            for name, wanted in changes.items():
                self.toggle(name, wanted)

    def shutdown(self) -> None:
        self.poll_timer.stop()
        self.status_timer.stop()
        self.workers.join(WORKER_JOIN_S)

    # -- keyboard ------------------------------------------------------------------------------------------------

    def eventFilter(self, watched: object, event: object) -> bool:
        from PySide6.QtCore import QEvent
        from PySide6.QtGui import QKeyEvent

        space = (
            isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Space
        )
        if watched is self.table and space and self.table.currentIndex().isValid():
            self.model.request_toggle(self.table.currentIndex().row())
            return True
        return False
