"""A table model adapting `plugboard.core.config.connectors.Connector` rows (plus their status) for Qt views.

No business rules: it shows what the page gives it, including pending (staged) and in-flight switch positions, and
reports a switch click as a request through `toggle_requested`; the page decides what that means.

Status lights come from core events, not from polling here: `watch` subscribes the model to a
`core.launch.watch.LaunchWatcher` (the one place that reads the launcher's status records), and each
`LaunchChanged` is marshalled onto the GUI thread through a queued signal (`LaunchFeed`) and updates just that row.
The typed reading (`state`, `failing`) decides the light; the label is only shown. `unwatch` (the page calls it when
it goes) unsubscribes, so no event reaches a model that is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from plugboard.core.config.connectors import Connector
from plugboard.core.launch.status import RunState
from plugboard.core.launch.watch import LaunchChanged, LaunchWatcher
from plugboard.gui.icons import status_dot

COLUMNS = ("", "Name", "What it does", "Kind", "On")
STATUS, NAME, DESCRIPTION, KIND, SWITCH = range(len(COLUMNS))
Index = QModelIndex | QPersistentModelIndex
SWITCH_ROLE = Qt.ItemDataRole.UserRole + 1

# Status light colours: green running, red failing, grey stopped/unknown.
LIGHTS = {"ok": "#2e9d4c", "bad": "#d0342c", "off": "#9aa0a6"}


def describe(connector: Connector, launch: LaunchChanged | None, *, testing: bool = False) -> tuple[str, str]:
    """The status phrase and light colour for one connector, from its launcher's last event (None: none yet)."""
    if testing:
        return "Running here: Plugboard is testing it", "ok"
    if not connector.enabled:
        return "Switched off", "off"
    if connector.via_plugboard is None:
        return "Claude Desktop starts it directly, so Plugboard cannot see whether it runs", "off"
    if launch is None or launch.state is None:
        return "Not started yet", "off"
    if launch.state is RunState.RUNNING:
        return "Running in Claude", "ok"
    if launch.failing:
        return f"Failing: {launch.label}", "bad"
    return "Stopped", "off"


@dataclass(frozen=True)
class Row:
    connector: Connector
    status: str
    """A phrase: "Running in Claude", "Stopped", "Failing: missing secret GITHUB_TOKEN", …"""
    light: str
    """"ok", "bad" or "off"."""
    pending: bool | None = None
    """The switch position the user chose but that is not applied yet, or None."""
    description: str = ""
    """One line for people (the catalog's sentence for a known server)."""
    switching: bool | None = None
    """The position a switch click asked for while it is being written (off the GUI thread), or None."""

    @property
    def shown_enabled(self) -> bool:
        if self.switching is not None:
            return self.switching
        return self.connector.enabled if self.pending is None else self.pending


class LaunchFeed(QObject):
    """Carries a watcher's events from its thread to the GUI thread: `changed` is emitted on the watcher's thread
    and, this object living on the GUI thread, reaches its slots as queued calls there."""

    changed = Signal(object)

    def __init__(self, watcher: LaunchWatcher, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.watcher = watcher
        watcher.subscribe(self._deliver)

    def _deliver(self, event: LaunchChanged) -> None:
        self.changed.emit(event)

    def close(self) -> None:
        self.watcher.unsubscribe(self._deliver)


class ConnectorsModel(QAbstractTableModel):
    toggle_requested = Signal(str, bool)
    rows_changed = Signal(list)
    """The rows changed (a new list, or one connector's status light): for the tray and notifications."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Row] = []
        self.launches: dict[str, LaunchChanged] = {}
        """The last launcher event per connector name."""
        self.testing: str | None = None
        """The connector Plugboard is testing right now (its light says so)."""
        self._feed: LaunchFeed | None = None

    # -- core events -------------------------------------------------------------------------------------------

    def watch(self, watcher: LaunchWatcher) -> None:
        """Follow `watcher`'s events (on the GUI thread). Subscribe before the watcher starts to miss none."""
        self.unwatch()
        self._feed = LaunchFeed(watcher, self)
        self._feed.changed.connect(self.launch_changed)

    def unwatch(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed.changed.disconnect(self.launch_changed)
            self._feed = None

    def launch_changed(self, event: LaunchChanged) -> None:
        self.launches[event.name] = event
        for number, row in enumerate(self._rows):
            if row.connector.name == event.name:
                self._restate(number)

    def set_testing(self, name: str | None) -> None:
        before, self.testing = self.testing, name
        for number, row in enumerate(self._rows):
            if row.connector.name in (before, name):
                self._restate(number)

    def set_switching(self, name: str, wanted: bool | None) -> None:
        """Show the position a switch click asked for (None: no click in flight) on that row alone."""
        for number, row in enumerate(self._rows):
            if row.connector.name == name and row.switching != wanted:
                self._rows[number] = replace(row, switching=wanted)
                self.dataChanged.emit(self.index(number, SWITCH), self.index(number, SWITCH))
                self.rows_changed.emit(list(self._rows))

    def _restate(self, number: int) -> None:
        row = self._rows[number]
        status, light = self.describe(row.connector)
        if (status, light) == (row.status, row.light):
            return
        self._rows[number] = replace(row, status=status, light=light)
        self.dataChanged.emit(self.index(number, STATUS), self.index(number, NAME))
        self.rows_changed.emit(list(self._rows))

    def describe(self, connector: Connector) -> tuple[str, str]:
        return describe(connector, self.launches.get(connector.name), testing=connector.name == self.testing)

    def make_row(
        self, connector: Connector, pending: bool | None, description: str, switching: bool | None = None
    ) -> Row:
        status, light = self.describe(connector)
        return Row(connector, status, light, pending, description, switching)

    # -- rows --------------------------------------------------------------------------------------------------

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()
        self.rows_changed.emit(list(self._rows))

    def row(self, index: int) -> Row:
        return self._rows[index]

    def rows(self) -> list[Row]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        item = row.connector
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                NAME: item.name,
                DESCRIPTION: row.description,
                KIND: item.kind.capitalize(),
                SWITCH: ("On" if row.shown_enabled else "Off") + _switch_note(row),
            }.get(column)
        if role == Qt.ItemDataRole.DecorationRole and column == STATUS:
            return status_dot(LIGHTS[row.light])
        if role == Qt.ItemDataRole.ToolTipRole:
            if column in (STATUS, NAME):
                return row.status
            if column == DESCRIPTION:
                return " ".join(item.server_command)
            if column == SWITCH and row.switching is not None:
                return "Saving the change to Claude Desktop's settings…"
            if column == SWITCH and row.pending is not None:
                return "Applies when Claude Desktop restarts"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if column == STATUS:
                return row.status
            if column == DESCRIPTION:
                return row.description
            if column == SWITCH:
                return f"{item.name} {'on' if row.shown_enabled else 'off'}"
        if role == SWITCH_ROLE:
            return row.shown_enabled
        return None

    def request_toggle(self, index: int) -> None:
        row = self._rows[index]
        self.toggle_requested.emit(row.connector.name, not row.shown_enabled)


def _switch_note(row: Row) -> str:
    if row.switching is not None:
        return " (saving…)"
    return " (pending)" if row.pending is not None else ""
