"""The Connectors page: every connector with a status light and a switch; applying switches to Claude Desktop.

Switching while Claude Desktop is not running writes at once. While it runs, switches are staged
(`core.apply.PendingChanges`) and a banner offers "Restart Claude now", which runs `core.apply.apply_changes`
(quit → write → relaunch → wipe guard) on a worker thread. The rules live in the core; this page only shows them.

Add / edit / duplicate / remove (the form in `connector_dialog`) write at once even while Claude runs — staging a
whole form's worth of edits would show a list that is not the file — and count towards the same banner, so the
restart and its wipe guard follow. Every change made here can be undone once (`core.undo`).

The GUI thread never waits. A switch click asks whether Claude runs (a process scan) and then writes Claude's file
under the edit lock (which waits up to 30 s for another Plugboard process): both run on a worker, one click after
another in the order they were made, while the row shows the position asked for ("saving…"). Remove and undo
write on a worker too. Status lights come from the launcher's status records through a `LaunchWatcher` (its own
thread), whose events the model receives on the GUI thread; this page only tells the watcher which connectors to
follow and stops it when the page goes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
from plugboard.core.launch.watch import LaunchWatcher
from plugboard.core.probe.doctor import DoctorReport, examine_connector
from plugboard.gui.backups_dialog import BackupsDialog
from plugboard.gui.catalog_dialog import CatalogDialog
from plugboard.gui.connector_dialog import ConnectorDialog
from plugboard.gui.connectors_model import DESCRIPTION, KIND, NAME, STATUS, SWITCH, ConnectorsModel
from plugboard.gui.import_dialog import ImportDialog
from plugboard.gui.toggle_delegate import ToggleDelegate
from plugboard.gui.worker import Workers

# Whether Claude Desktop runs is a process-table scan (~15 ms on a worker thread). A switch click always asks
# afresh, so the poll only notices Claude quitting by itself (to write staged switches) and keeps the banner true:
# every 10 s is enough, every 2 s while switches wait. (Scanning every 3 s cost ~0.5 % CPU idle.)
CLAUDE_POLL_MS = 10_000
CLAUDE_POLL_PENDING_MS = 2000
# Closing the window waits this long for a running apply/poll to finish before leaving it to die with the app.
WORKER_JOIN_S = 2.0


@dataclass(frozen=True)
class Switched:
    """What a switch click did, found on a worker: written at once, or to be staged because Claude Desktop runs."""

    name: str
    wanted: bool
    claude: ClaudeStatus
    listed: list[Connector] | None = None
    """The connectors as the file holds them after the write, read on the worker too."""

    @property
    def staged(self) -> bool:
        return bool(self.claude.running)


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
    idle = Signal()
    """Every switch click, remove and undo is written (or staged): the window may quit now."""

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
        self.workers = Workers(self, on_failed=self.show_note)
        self.switches: list[tuple[str, bool]] = []
        """Switch clicks not yet written or staged, oldest first (one runs at a time, on a worker)."""
        self.switching: tuple[str, bool] | None = None
        """The switch click a worker is handling now."""
        self.writing = False
        """A remove or undo is being written on a worker."""

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
        self.model.rows_changed.connect(self.rows_changed.emit)
        self.launches = LaunchWatcher(())
        self.model.watch(self.launches)  # before start(): the first look's events reach the model
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
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(CLAUDE_POLL_MS)
        self.poll_timer.timeout.connect(self.poll_claude)
        self.poll_timer.start()
        self.reload()
        self.launches.start()
        self.poll_claude()

    @property
    def testing(self) -> str | None:
        """The connector the doctor is examining right now, if any."""
        return self.model.testing

    # -- showing ---------------------------------------------------------------------------------------------

    def reload(self, note: str | None = None, listed: list[Connector] | None = None) -> None:
        """Re-read connectors (or show `listed`, read on a worker just now); show `note`, or the standing notes
        (errors, no file yet)."""
        path = self.connectors.path
        self.source.setText(f"Claude Desktop config: {path}")
        try:
            self.refresh_rows(listed)
        except PlugboardError as exc:
            self.model.set_rows([])
            self.launches.watch(())
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

    def refresh_rows(self, listed: list[Connector] | None = None) -> None:
        """Rebuild the rows (connectors, status lights, staged and in-flight switches) keeping the selection."""
        selected = self.selected()
        connectors = self.connectors.all() if listed is None else listed
        wanted = dict(self.switches)
        if self.switching is not None:
            wanted.setdefault(*self.switching)
        rows = [
            self.model.make_row(
                connector,
                self.pending.wanted(connector.name),
                describe_connector(connector, self.catalog),
                wanted.get(connector.name),
            )
            for connector in connectors
        ]
        self.launches.watch(c.name for c in connectors if c.enabled and c.via_plugboard is not None)
        if rows == self.model.rows():
            return
        self.model.set_rows(rows)
        if selected is not None:
            names = [r.connector.name for r in rows]
            if selected.name in names:
                self.table.selectRow(names.index(selected.name))

    def show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.show()

    def _update_buttons(self) -> None:
        selected = self.selected() is not None
        for button in (self.edit_button, self.duplicate_button):
            button.setEnabled(selected)
        self.remove_button.setEnabled(selected and not self.writing)
        self.undo_button.setEnabled(self.last_undo is not None and not self.writing)
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
        """A switch click: shown at once, then written (or staged while Claude runs) on a worker, in click order."""
        self.switches.append((name, wanted))
        self.model.set_switching(name, wanted)  # no file read here: the worker reads the file after writing it
        self._next_switch()

    def _next_switch(self) -> None:
        if self.switching is not None:
            return
        if not self.switches:
            self._maybe_idle()
            return
        self.switching = name, wanted = self.switches.pop(0)
        connectors, claude = self.connectors, self.claude

        def work() -> Switched:
            # Ask afresh: writing under a running Claude (which may rewrite the file from its cache) loses the change.
            status = claude.status()
            if not status.running:
                if wanted:
                    connectors.enable(name)
                else:
                    connectors.disable(name)
            listed = None
            with contextlib.suppress(PlugboardError):  # the page's own reload then says what is wrong
                listed = connectors.all()
            return Switched(name, wanted, status, listed)

        self.workers.start("switch", work, on_done=self._switched, on_failed=self._switch_failed)

    def _switched(self, done: Switched) -> None:
        self.switching = None
        self._claude_status(done.claude)
        if done.staged:
            enabled = next((r.connector.enabled for r in self.model.rows() if r.connector.name == done.name), None)
            if enabled is not None:
                self.pending.toggle(done.name, enabled, done.wanted)
            self.reload(listed=done.listed)
        else:
            self._changed(undo.after_toggle(done.name, done.wanted))
            verb = "Enabled" if done.wanted else "Disabled"
            self.reload(f'{verb} "{done.name}". Claude Desktop picks it up when it starts.', listed=done.listed)
        self._next_switch()

    def _switch_failed(self, message: str) -> None:
        self.switching = None
        self.reload(message)
        self._next_switch()

    def busy(self) -> bool:
        """A switch, remove or undo is still being written."""
        return self.switching is not None or bool(self.switches) or self.writing

    def _maybe_idle(self) -> None:
        if not self.busy():
            self.idle.emit()

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
        self.model.set_testing(name)
        self.workers.start(
            "doctor",
            lambda: examine_connector(connector, logs_dir=logs_dir),
            on_done=self._tested,
            on_failed=self._test_failed,
        )

    def _tested(self, report: DoctorReport) -> None:
        self.model.set_testing(None)
        if report.ok:
            tools = report.tools or []
            offer = f"{len(tools)} tool{'s' if len(tools) != 1 else ''}"
            text = f'"{report.name}" works: it offers {offer}.'
        else:
            first = report.problems[0].summary if report.problems else report.reason.text
            text = f'"{report.name}" does not work yet: {first}'
        self.reload(text + self._restart_hint())

    def _test_failed(self, message: str) -> None:
        self.model.set_testing(None)
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
        if connector is None or self.writing:
            return
        live = [c.name for c in self.connectors.all() if c.enabled]
        index = live.index(connector.name) if connector.name in live else len(live)
        connectors = self.connectors

        def removed(_result: object) -> None:
            self._changed(undo.after_remove(connector, index))
            self.reload(f'Removed "{connector.name}". Undo brings it back.' + self._restart_hint())

        self._write("remove", lambda: connectors.remove(connector.name), removed, self.reload)

    def undo_last(self) -> None:
        if self.last_undo is None or self.writing:
            return
        step, self.last_undo = self.last_undo, None
        connectors = self.connectors

        def undone(_result: object) -> None:
            self._changed(None)
            self.reload(f"Undone: {step.label}." + self._restart_hint())

        self._write(
            "undo", lambda: step.apply(connectors), undone, lambda message: self.reload(f"Could not undo: {message}")
        )

    def _write(
        self, name: str, work: Callable[[], Any], on_done: Callable[[Any], None], on_failed: Callable[[str], None]
    ) -> None:
        """Run one write of Claude's file (it waits for the edit lock) on a worker; one at a time."""
        self.writing = True
        self._update_buttons()

        def done(result: object) -> None:
            self.writing = False
            on_done(result)
            self._update_buttons()
            self._maybe_idle()

        def failed(message: str) -> None:
            self.writing = False
            on_failed(message)
            self._update_buttons()
            self._maybe_idle()

        self.workers.start(name, work, on_done=done, on_failed=failed)

    def _changed(self, step: undo.Undo | None) -> None:
        """Bookkeeping after this page wrote Claude's config."""
        self.wrote.emit()
        self.last_undo = step
        if self.claude_running:
            self.unloaded += 1

    def _restart_hint(self) -> str:
        return " Claude Desktop loads it when it restarts." if self.claude_running else ""

    # -- Claude Desktop's state --------------------------------------------------------------------------------

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
        """The page goes: stop listening and polling; give running workers a bounded time to finish."""
        self.poll_timer.stop()
        self.model.unwatch()
        self.launches.close()
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
