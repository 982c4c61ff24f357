"""A table model adapting connectors and their health (`core.probe.health`) for the Connectors page's list.

No business rules: it shows what the page gives it — the rows in the page's stable order, each connector's health
(a light and a line of plain words), pending (staged) and in-flight switch positions — and reports a switch click as
a request through `toggle_requested`; the page decides what that means.

Health comes from core events, not from polling here: `watch` subscribes the model to a `HealthMonitor` (which has
its own thread), and each `HealthChanged` is marshalled onto the GUI thread through a queued signal (`HealthFeed`)
and updates just that row. `unwatch` (the page calls it when it goes) unsubscribes, so no event reaches a model that
is gone.

Columns: the light, the connector (its badge, name and the line saying how it is), what it does, its switch. Every
cell has an accessible name and description (`AccessibleTextRole`, `AccessibleDescriptionRole`), so a screen reader
says "github: The GitHub token was refused" and "Switch for github: on".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from plugboard.core.config.connectors import Connector
from plugboard.core.probe.health import LEGEND, Health, HealthChanged, HealthMonitor, HealthState
from plugboard.gui.icons import status_dot

COLUMNS = ("", "Connector", "What it does", "On")
STATUS, NAME, DESCRIPTION, SWITCH = range(len(COLUMNS))
Index = QModelIndex | QPersistentModelIndex
SWITCH_ROLE = Qt.ItemDataRole.UserRole + 1
LINE_ROLE = Qt.ItemDataRole.UserRole + 2
"""The row's plain-words health line (the name cell paints it under the name)."""
LIGHT_ROLE = Qt.ItemDataRole.UserRole + 3

# Status light colours: green working, red failing, amber shaky, blue being tested, grey not known or off.
LIGHTS = {"ok": "#2e9d4c", "bad": "#d0342c", "warn": "#d98e04", "busy": "#3b78d8", "off": "#9aa0a6"}
LIGHT_WORDS = {"ok": "working", "bad": "not working", "warn": "shaky", "busy": "being tested", "off": "not known"}
LEGEND_TEXT = {light: words for light, words in LEGEND}


def unknown(connector: Connector) -> Health:
    """What a row says before the health monitor has said anything."""
    if not connector.enabled:
        return Health(connector.name, HealthState.OFF, "Switched off")
    return Health(connector.name, HealthState.UNKNOWN, "Not started by Claude yet")


@dataclass(frozen=True)
class Row:
    connector: Connector
    status: str
    """The plain-words line: "Working — 14 tools", "Can't start: Node.js is not installed"."""
    light: str
    """"ok", "bad", "warn", "busy" or "off"."""
    pending: bool | None = None
    """The switch position the user chose but that is not applied yet, or None."""
    description: str = ""
    """One line for people (the catalog's sentence for a known server)."""
    switching: bool | None = None
    """The position a switch click asked for while it is being written (off the GUI thread), or None."""
    health: Health | None = None
    """The health the line and light come from (its finding carries the steps the result card offers)."""

    @property
    def shown_enabled(self) -> bool:
        if self.switching is not None:
            return self.switching
        return self.connector.enabled if self.pending is None else self.pending


class HealthFeed(QObject):
    """Carries a monitor's events from its thread to the GUI thread: `changed` is emitted on the monitor's thread
    and, this object living on the GUI thread, reaches its slots as queued calls there."""

    changed = Signal(object)

    def __init__(self, monitor: HealthMonitor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe = monitor.subscribe(self.changed.emit)

    def close(self) -> None:
        self._unsubscribe()


class ConnectorsModel(QAbstractTableModel):
    toggle_requested = Signal(str, bool)
    rows_changed = Signal(list)
    """The rows changed (a new list, or one connector's health): for the tray and notifications."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Row] = []
        self.healths: dict[str, Health] = {}
        """The last health per connector name."""
        self._feed: HealthFeed | None = None

    # -- core events -------------------------------------------------------------------------------------------

    def watch(self, monitor: HealthMonitor) -> None:
        """Follow `monitor`'s events (on the GUI thread)."""
        self.unwatch()
        self._feed = HealthFeed(monitor, self)
        self._feed.changed.connect(self.health_changed)

    def unwatch(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed.changed.disconnect(self.health_changed)
            self._feed = None

    def health_changed(self, event: HealthChanged) -> None:
        self.healths[event.name] = event.health
        for number, row in enumerate(self._rows):
            if row.connector.name == event.name and row.health != event.health:
                health = event.health
                self._rows[number] = replace(row, health=health, status=health.line, light=health.light)
                self.dataChanged.emit(self.index(number, STATUS), self.index(number, NAME))
                self.rows_changed.emit(list(self._rows))

    def set_switching(self, name: str, wanted: bool | None) -> None:
        """Show the position a switch click asked for (None: no click in flight) on that row alone."""
        for number, row in enumerate(self._rows):
            if row.connector.name == name and row.switching != wanted:
                self._rows[number] = replace(row, switching=wanted)
                self.dataChanged.emit(self.index(number, SWITCH), self.index(number, SWITCH))
                self.rows_changed.emit(list(self._rows))

    def make_row(
        self,
        connector: Connector,
        pending: bool | None,
        description: str,
        switching: bool | None = None,
        health: Health | None = None,
    ) -> Row:
        if health is not None:
            self.healths[connector.name] = health
        health = self.healths.get(connector.name)
        if health is None or (health.state is HealthState.OFF) == connector.enabled:
            health = unknown(connector)  # nothing said yet, or said of the other switch position
        return Row(connector, health.line, health.light, pending, description, switching, health)

    # -- rows --------------------------------------------------------------------------------------------------

    def set_rows(self, rows: list[Row]) -> None:
        """Replace the rows. Same names in the same order: the rows are updated in place (no reset), so the
        selection, the focused cell and the scroll position stay where they are."""
        same = [r.connector.name for r in rows] == [r.connector.name for r in self._rows]
        if same:
            self._rows = list(rows)
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self._rows = list(rows)
            self.endResetModel()
        self.rows_changed.emit(list(self._rows))

    def row(self, index: int) -> Row:
        return self._rows[index]

    def rows(self) -> list[Row]:
        return list(self._rows)

    def find(self, name: str) -> int:
        """The row number of connector `name`, or -1."""
        return next((i for i, r in enumerate(self._rows) if r.connector.name == name), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.AccessibleTextRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section] or "Status"
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal and section == STATUS:
            return "Whether it works: hover a light, or see “What the lights mean”"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid() and index.column() == SWITCH:
            # Checkable, so assistive technology reads the switch as checked or not; the delegate paints it and
            # turns a click into a request (`request_toggle`), the page decides.
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        item = row.connector
        column = index.column()
        on = "on" if row.shown_enabled else "off"
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                NAME: item.name,
                DESCRIPTION: row.description,
                SWITCH: ("On" if row.shown_enabled else "Off") + _switch_note(row),
            }.get(column)
        if role == LINE_ROLE:
            return row.status
        if role == LIGHT_ROLE:
            return row.light
        if role == Qt.ItemDataRole.DecorationRole and column == STATUS:
            return status_dot(LIGHTS[row.light])
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == STATUS:
                return f"{row.status}\n{LEGEND_TEXT.get(row.light, '')}"
            if column == NAME:
                return f"{item.name}\n{row.status}"
            if column == DESCRIPTION:
                return row.description
            if column == SWITCH and row.switching is not None:
                return "Saving the change to Claude Desktop's settings…"
            if column == SWITCH and row.pending is not None:
                return "Applies when Claude Desktop restarts"
            if column == SWITCH:
                return f"Switch {item.name} {'off' if row.shown_enabled else 'on'} (Space)"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if column == STATUS:
                return f"{item.name} status: {LIGHT_WORDS.get(row.light, row.light)}"
            if column == NAME:
                return f"{item.name}: {row.status}"
            if column == DESCRIPTION:
                return row.description
            if column == SWITCH:
                return f"Switch for {item.name}: {on}"
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            if column == STATUS:
                return row.status
            if column == NAME:
                return "Enter opens it; Space switches it"
            if column == SWITCH:
                note = " (waits for Claude Desktop to restart)" if row.pending is not None else ""
                return f"Space switches {item.name} {'off' if row.shown_enabled else 'on'}{note}"
        if role == SWITCH_ROLE:
            return row.shown_enabled
        if role == Qt.ItemDataRole.CheckStateRole and column == SWITCH:
            return Qt.CheckState.Checked if row.shown_enabled else Qt.CheckState.Unchecked
        return None

    def request_toggle(self, index: int) -> None:
        row = self._rows[index]
        self.toggle_requested.emit(row.connector.name, not row.shown_enabled)


def _switch_note(row: Row) -> str:
    if row.switching is not None:
        return " (saving…)"
    return " (pending)" if row.pending is not None else ""
