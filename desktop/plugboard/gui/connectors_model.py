"""A table model adapting `plugboard.core.connectors.Connector` rows for Qt views. No business rules here."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from plugboard.core.connectors import Connector

COLUMNS = ("Name", "Enabled", "Kind", "Command")
Index = QModelIndex | QPersistentModelIndex


class ConnectorsModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Connector] = []

    def set_connectors(self, rows: list[Connector]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def connector(self, row: int) -> Connector:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return item.name
            if column == 1:
                return "On" if item.enabled else "Off"
            if column == 2:
                return item.kind.capitalize()
            return " ".join(item.server_command)
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return " ".join([item.command, *item.args])
        return None
