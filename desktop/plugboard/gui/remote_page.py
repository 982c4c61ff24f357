"""The Remote page: SSH tunnel profiles with live state lights and traffic, add / edit / remove, connect /
disconnect, and the host-key consent dialog.

Shape, and why:
- The live tunnels are a core `TunnelSet` (`self.live`): it starts, stops, restarts and closes them (closing on
  threads of its own, as it joins threads with deadlines). The page subscribes once; its subscription only
  re-emits each `(name, tunnel, state)` as a Qt signal (queued onto the GUI thread), where the row is updated.
- Host keys: tunnels ask through the core's `HostKeyConsent`, shown as dialogs (Cancel by default) by
  `ConsentDialogs`; a changed key is shown the same way. Both live as long as the page.
- Reading never waits on the GUI thread: the profiles (Plugboard's store) and the connectors that use each tunnel
  (Claude's file, one read) are read on a worker by `reload`, whose note shows at once and whose rows follow; only
  the newest reload's rows are shown.
- Tunnels whose profile says auto_start are connected once the page's first reload is done.
- A one-second timer repaints countdowns and reads traffic counters, and runs only while a tunnel is live, so
  an idle app costs nothing.
- These tunnels are the app's own (for checking a server, or for other programs on this machine); Claude's
  connectors do not depend on them: `plugboard proxy --ssh` opens its own tunnel, so it works with the app
  closed. So a tunnel a connector uses shows that connector ("Used by") and how the connector's run stands (from
  the status record its proxy keeps, followed by a `LaunchWatcher` on its own thread), not "Stopped".
- Removing a tunnel applies the command line's guard (`core/tunnel/control.remove_profile`): a tunnel another
  Plugboard process runs (`plugboard tunnel up` in a terminal) is not removed from under it; the page says so in
  words and offers to stop it first. The check looks at the process table and the delete takes the edit lock, so
  both run on a worker.
- The toolbar folds into a "More" menu on a narrow window (`gui/toolbar.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from plugboard.core.config.connectors import Connectors
from plugboard.core.entries import ProxyEntry
from plugboard.core.entries import parse as parse_entry
from plugboard.core.errors import PlugboardError
from plugboard.core.launch.watch import LaunchChanged, LaunchWatcher
from plugboard.core.secrets import keyring as secrets
from plugboard.core.tunnel import control
from plugboard.core.tunnel.consent import HostKeyConsent
from plugboard.core.tunnel.live import CLOSE_JOIN_S, TunnelSet
from plugboard.core.tunnel.profile import PASSPHRASE_KEY, PASSWORD_KEY, TunnelProfile, load_profiles
from plugboard.core.tunnel.runfile import read_record
from plugboard.core.tunnel.state import TunnelState
from plugboard.core.tunnel.tunnel import Tunnel
from plugboard.gui.host_key_dialog import ConsentDialogs
from plugboard.gui.toolbar import FoldingBar
from plugboard.gui.tunnel_dialog import TunnelDialog
from plugboard.gui.tunnels_model import (
    NAME,
    ROUTE,
    STATE,
    TRAFFIC,
    USED,
    TunnelRow,
    TunnelsModel,
    Usage,
    tunnel_notice,
)
from plugboard.gui.widgets import MessageLabel
from plugboard.gui.worker import Workers, remaining

# Repaint countdowns ("next try in 4 s") and read traffic counters this often while a tunnel is live: a
# counter that moves once a second reads as live; faster would only cost CPU.
TICK_MS = 1000


def tunnel_users(connectors: Connectors) -> dict[str, list[str]]:
    """Connector names by the tunnel their entries go through (`--ssh`); one read of Claude's file (a worker's)."""
    using: dict[str, list[str]] = {}
    try:
        everything = connectors.all()
    except PlugboardError:
        return using
    for connector in everything:
        entry = parse_entry(connector.entry)
        if isinstance(entry, ProxyEntry) and entry.ssh:
            using.setdefault(entry.ssh, []).append(connector.name)
    return using


def _read(connectors: Connectors) -> tuple[dict[str, TunnelProfile], dict[str, list[str]], str | None]:
    """On a worker: the profiles, the tunnels' users, and what went wrong reading the profiles (or None)."""
    try:
        profiles, problem = load_profiles(), None
    except PlugboardError as exc:
        profiles, problem = {}, exc.plain
    return profiles, tunnel_users(connectors), problem


class RemotePage(QWidget):
    state_shown = Signal(str, object)
    """A tunnel's row now shows this `TunnelState` (name, state) — for the tray and for tests."""
    connector_added = Signal(str)
    """The wizard wrote a new connector into Claude's config (the window reloads the Connectors page)."""
    notice = Signal(str, str, bool)
    """(title, text, bad): a tunnel dropped or came back — for the tray's notifications."""
    _state_arrived = Signal(str, object, object)
    _launch_arrived = Signal(object)

    def __init__(
        self,
        connectors: Connectors,
        parent: QWidget | None = None,
        *,
        ssh_config: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.connectors = connectors
        self.ssh_config = ssh_config
        self.workers = Workers(self, on_failed=self.show_note)
        self._shut = False
        self._loads = 0
        """The ticket of the newest reload asked for: an older one's rows are not shown."""
        self.loaded = False
        """The newest reload's rows are shown."""
        self._auto_started = False
        self._dropped: set[str] = set()
        """Tunnels that went down from "up" and are not up again yet (for the "is back" notice)."""
        self.consent = HostKeyConsent()
        self.consent_dialogs = ConsentDialogs(self.consent, self)
        self.live = TunnelSet(consent=self.consent)
        self._state_arrived.connect(self._show_state)
        self._unsubscribe = self.live.subscribe(self._state_arrived.emit)
        self._usage: dict[str, Usage] = {}
        """How each connector that uses a tunnel last ran, by connector name (from the launch watcher)."""
        self._launch_arrived.connect(self._launch_changed)
        self.launches = LaunchWatcher(())
        self.launches.subscribe(self._launch_arrived.emit)

        self.add_button = QPushButton("&Add tunnel…")
        self.add_button.setAccessibleDescription("Add an SSH tunnel to a service on your server")
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setAccessibleDescription("Change the selected tunnel")
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setAccessibleDescription("Delete the selected tunnel")
        self.connect_button = QPushButton("&Connect")
        self.connect_button.setAccessibleDescription("Open the selected tunnel from this app")
        self.disconnect_button = QPushButton("&Disconnect")
        self.disconnect_button.setAccessibleDescription("Close the tunnel this app opened")
        self.wizard_button = QPushButton("Remote &connector…")
        self.wizard_button.setToolTip("Set up a connector for an MCP server on your own server, over SSH")
        self.wizard_button.setAccessibleDescription(self.wizard_button.toolTip())
        self.add_button.clicked.connect(self.add_tunnel)
        self.edit_button.clicked.connect(self.edit_tunnel)
        self.remove_button.clicked.connect(self.remove_tunnel)
        self.connect_button.clicked.connect(lambda: self._on_selected(self.connect_tunnel))
        self.disconnect_button.clicked.connect(lambda: self._on_selected(self.disconnect_tunnel))
        self.wizard_button.clicked.connect(self.open_wizard)
        self.bar = FoldingBar(name="Tunnel actions")
        self.bar.add(self.wizard_button, foldable=False)
        for button in (self.add_button, self.edit_button, self.remove_button, self.connect_button):
            self.bar.add(button)
        self.bar.add(self.disconnect_button)
        self.bar.add_stretch()

        self.note = MessageLabel(object_name="note")
        self.note.setAccessibleName("Message")
        self.note.hide()
        self.empty = MessageLabel(
            "No tunnels yet. A tunnel reaches a service on your server (an MCP server on a droplet, say) through "
            "SSH. Add one, or use Remote connector… to set up a connector for Claude in one go."
        )
        self.empty.setAccessibleName("No tunnels yet")

        self.model = TunnelsModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Tunnels")
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(STATE, QHeaderView.ResizeMode.Stretch)
        for column in (NAME, ROUTE, TRAFFIC, USED):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(40)
        for column, sample in (
            (NAME, "droplet-name"),
            (ROUTE, "root@203.0.113.7 → 5000"),
            (TRAFFIC, "↑ 10.0 kB"),
            (USED, "catalyst"),
        ):
            header.resizeSection(column, self.fontMetrics().horizontalAdvance(sample) + 24)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.doubleClicked.connect(lambda _index: self.edit_tunnel())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        # The state column is elided when a reason is long; the selected tunnel's whole story is shown here.
        self.details = MessageLabel(object_name="details")
        self.details.setAccessibleName("Selected tunnel")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.note)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

        self.empty.hide()
        self.table.hide()
        self.launches.start()
        self.reload()

    # -- showing ---------------------------------------------------------------------------------------------------

    def reload(self, note: str | None = None, *, select: str | None = None) -> None:
        """Re-read the profiles and their users (on a worker), keeping the live state of connected tunnels. `note`
        shows at once; the rows follow, then `select` is selected."""
        if self._shut:
            return
        self._loads += 1
        ticket = self._loads
        self.loaded = False
        if note:
            self.show_note(note)
        connectors = self.connectors
        self.workers.start("reload", lambda: _read(connectors), lambda read: self._loaded(ticket, read, select))

    def _loaded(
        self,
        ticket: int,
        read: tuple[dict[str, TunnelProfile], dict[str, list[str]], str | None],
        select: str | None,
    ) -> None:
        if ticket != self._loads or self._shut:
            return  # a newer reload was asked for: its rows are the ones to show
        profiles, using, problem = read
        old = {row.name: row for row in self.model.rows()}
        selected = select or self.selected_name()
        self.launches.watch(name for names in using.values() for name in names)
        rows = []
        for name, profile in profiles.items():
            before = old.get(name)
            users = tuple(self._usage.get(c, Usage(c)) for c in using.get(name, ()))
            rows.append(
                TunnelRow(profile, before.state, before.since, before.traffic, users)
                if before is not None
                else TunnelRow(profile, users=users)
            )
        self.model.set_rows(rows)
        if selected is not None and (index := self.model.find(selected)) is not None:
            self.table.selectRow(index)
        self.empty.setVisible(not rows)
        self.table.setVisible(bool(rows))
        if problem:
            self.show_note(problem)
        self.loaded = True
        self._update_buttons()
        if not self._auto_started:
            self._auto_started = True
            for row in rows:
                if row.profile.auto_start:
                    self.connect_tunnel(row.name)

    def show_note(self, text: str) -> None:
        self.note.set_message(text)
        self.note.show()

    def selected_name(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isSelected(index):
            return None
        return self.model.row(index.row()).name

    def select(self, name: str) -> None:
        index = self.model.find(name)
        if index is not None:
            self.table.selectRow(index)

    def is_live(self, name: str) -> bool:
        return self.live.is_live(name)

    def _update_buttons(self) -> None:
        name = self.selected_name()
        for button in (self.edit_button, self.remove_button):
            button.setEnabled(name is not None)
        self.connect_button.setEnabled(name is not None and not self.is_live(name))
        self.disconnect_button.setEnabled(name is not None and self.is_live(name))
        self._update_details()

    def _update_details(self) -> None:
        name = self.selected_name()
        index = self.model.find(name) if name is not None else None
        if index is None:
            self.details.setText("")
            self.details.hide()  # an empty box says nothing
            return
        row = self.model.row(index)
        starts = "Opens with Plugboard." if row.profile.auto_start else "Opens when you click Connect."
        used = f" Used by {', '.join(u.connector for u in row.users)}." if row.users else ""
        self.details.set_message(f"{row.name}: {row.phrase()}\n{row.profile.describe()}. {starts}{used}")
        self.details.show()

    def _on_selected(self, action: Callable[[str], None]) -> None:
        name = self.selected_name()
        if name is not None:
            action(name)

    def _show_state(self, name: str, tunnel: Tunnel, state: TunnelState) -> None:
        current = self.live.get(name)
        if current is not None and current is not tunnel:
            return  # a late event (its "stopped", say) from a tunnel this page already replaced
        index = self.model.find(name)
        before = self.model.row(index).state if index is not None else None
        row = self.model.update(name, state=state, since=time.monotonic(), traffic=tunnel.traffic())
        if row is None:
            return
        message = tunnel_notice(name, before, state, dropped=name in self._dropped)
        if before is not None and before.kind == "up" and state.kind in ("reconnecting", "failed"):
            self._dropped.add(name)
        elif state.kind in ("up", "stopped"):
            self._dropped.discard(name)
        if message is not None:
            self.notice.emit(*message)
        if not state.final and not self.timer.isActive():
            self.timer.start()
        self._update_buttons()
        self.state_shown.emit(name, state)

    def _tick(self) -> None:
        live = False
        for name, tunnel in self.live.items():
            if not tunnel.state.final:
                live = True
                self.model.update(name, traffic=tunnel.traffic())
        self.model.tick()
        self._update_details()
        if not live:
            self.timer.stop()

    # -- connecting ------------------------------------------------------------------------------------------------

    def connect_tunnel(self, name: str) -> None:
        """Bring a tunnel up (in the background); its row follows its state."""
        if self._shut or self.is_live(name):
            return
        index = self.model.find(name)  # the profile as the last reload read it: no store read here
        if index is None:
            self.show_note(f"Cannot connect {name}: there is no such tunnel (any more).")
            return
        self.live.start(self.model.row(index).profile)
        self._update_buttons()

    def disconnect_tunnel(self, name: str) -> None:
        """Close a tunnel (in the background); its row shows "stopped" when it is closed."""
        self.live.stop(name)
        self._update_buttons()

    # -- add / edit / remove -------------------------------------------------------------------------------------

    def _dialog(self, profile: TunnelProfile | None) -> TunnelDialog:
        taken = {row.name for row in self.model.rows()}
        dialog = TunnelDialog(profile, taken=taken, ssh_config=self.ssh_config, parent=self)

        def finished(result: int) -> None:
            saved = dialog.saved
            if result != QDialog.DialogCode.Accepted or saved is None:
                return
            self.reload(f'Saved tunnel "{saved.name}".', select=saved.name)
            if self.is_live(saved.name):
                # Reconnect with the new settings once the old connection has let go of its port.
                self.show_note(f'Saved tunnel "{saved.name}"; reconnecting with the changes.')
                self.live.restart(saved)

        dialog.finished.connect(finished)
        dialog.open()
        return dialog

    def add_tunnel(self) -> TunnelDialog:
        return self._dialog(None)

    def edit_tunnel(self) -> TunnelDialog | None:
        name = self.selected_name()
        if name is None:
            return None
        index = self.model.find(name)
        assert index is not None
        return self._dialog(self.model.row(index).profile)

    def remove_tunnel(self) -> None:
        """Remove the selected tunnel, unless another Plugboard process runs it (asked on a worker)."""
        name = self.selected_name()
        if name is not None:
            self._remove(name)

    def _remove(self, name: str) -> None:
        """On a worker: refuse if another process runs the tunnel (its run record, a process-table look), else
        delete the profile (under the edit lock) and name the connectors that still use it (one config read)."""
        index = self.model.find(name)
        if index is None:
            return
        connector = self.model.row(index).profile.secret_connector
        connectors = self.connectors

        def work() -> list[str] | None:
            if read_record(name) is not None:
                return None  # open elsewhere: ask first
            users = tunnel_users(connectors).get(name, [])
            try:
                control.remove_profile(name)
            except PlugboardError:
                if read_record(name) is not None:
                    return None  # started elsewhere between the look and the delete: ask, in words
                raise
            return users

        def done(users: list[str] | None) -> None:
            if users is None:
                self._ask_to_stop(name)
            else:
                self._removed(name, connector, users)

        self.workers.start(f"remove-{name}", work, done)

    def _ask_to_stop(self, name: str) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Remove tunnel")
        box.setText(f"The tunnel “{name}” is open in another Plugboard window or a terminal.")
        box.setInformativeText("Close it there first, or let Plugboard close it and then remove it.")
        stop = box.addButton("Close it and remove", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is not stop or self._shut:
            return

        def stop_it() -> None:
            control.stop_running(name)

        self.workers.start(
            f"stop-{name}",
            stop_it,
            lambda _r: self._remove(name),
            lambda message: self.show_note(f"Could not close the tunnel “{name}”: {message}"),
        )

    def _removed(self, name: str, connector: str, users: list[str]) -> None:
        self.disconnect_tunnel(name)

        def forget_secrets() -> None:
            for key in (PASSPHRASE_KEY, PASSWORD_KEY):
                secrets.delete_secret(connector, key)

        self.workers.start(f"forget-{name}", forget_secrets, lambda _r: None, self.show_note)
        warning = f" Connectors that still use it: {', '.join(users)}." if users else ""
        self.reload(f'Removed tunnel "{name}".{warning}')

    def _launch_changed(self, event: LaunchChanged) -> None:
        """A connector that uses a tunnel started, failed or stopped: its tunnel's row says so."""
        reason = event.record.reason if event.record is not None and event.record.reason else ""
        usage = Usage(event.name, event.state, reason)
        self._usage[event.name] = usage
        for row in self.model.rows():
            if any(u.connector == event.name for u in row.users):
                users = tuple(usage if u.connector == event.name else u for u in row.users)
                self.model.update(row.name, users=users)
        self._update_details()

    # -- the wizard ---------------------------------------------------------------------------------------------

    def open_wizard(self) -> QDialog:
        from plugboard.gui.remote_wizard import RemoteWizard

        wizard = RemoteWizard(self.connectors, self, tunnel=self.selected_name())

        def finished(_result: int) -> None:
            self.reload(f'Added connector "{wizard.added}".' if wizard.added else None)
            if wizard.added:
                self.connector_added.emit(wizard.added)

        wizard.finished.connect(finished)
        wizard.open()
        return wizard

    # -- workers and shutdown --------------------------------------------------------------------------------------

    def shutdown(self, deadline: float | None = None) -> None:
        """Close every tunnel (in parallel) and stop the timer, all by `deadline` (`time.monotonic()`; without one,
        `CLOSE_JOIN_S` each); safe to call twice."""
        self._shut = True
        self.timer.stop()
        self.consent_dialogs.close()
        self.live.close(remaining(deadline, CLOSE_JOIN_S))
        self._unsubscribe()
        self.launches.unsubscribe(self._launch_arrived.emit)
        self.launches.close()
        self.workers.join(remaining(deadline, CLOSE_JOIN_S))
