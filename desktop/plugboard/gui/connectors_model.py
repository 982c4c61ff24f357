"""A table model adapting `plugboard.core.config.connectors.Connector` rows (plus their status) for Qt views.

No business rules: it shows what the page gives it, including pending (staged) switch positions, and reports a
switch click as a request through `toggle_requested`; the page decides what that means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from plugboard.core.config.connectors import Connector
from plugboard.gui.icons import status_dot

COLUMNS = ("", "Name", "What it does", "Kind", "On")
STATUS, NAME, DESCRIPTION, KIND, SWITCH = range(len(COLUMNS))
Index = QModelIndex | QPersistentModelIndex
SWITCH_ROLE = Qt.ItemDataRole.UserRole + 1

# Status light colours: green running, red failing, grey stopped/unknown.
LIGHTS = {"ok": "#2e9d4c", "bad": "#d0342c", "off": "#9aa0a6"}


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

    @property
    def shown_enabled(self) -> bool:
        return self.connector.enabled if self.pending is None else self.pending


class ConnectorsModel(QAbstractTableModel):
    toggle_requested = Signal(str, bool)

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Row] = []

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, index: int) -> Row:
        return self._rows[index]

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
                SWITCH: ("On" if row.shown_enabled else "Off") + (" (pending)" if row.pending is not None else ""),
            }.get(column)
        if role == Qt.ItemDataRole.DecorationRole and column == STATUS:
            return status_dot(LIGHTS[row.light])
        if role == Qt.ItemDataRole.ToolTipRole:
            if column in (STATUS, NAME):
                return row.status
            if column == DESCRIPTION:
                return " ".join(item.server_command)
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
