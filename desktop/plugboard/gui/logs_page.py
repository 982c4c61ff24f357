"""The Logs page: a live view of one connector's log, or all of them, with follow / pause, search, a level filter,
copy, export and clear; lines coloured by level; secrets already masked by the core (`log_sources.open_logs`).

Staying responsive while a server writes 50,000 lines/s: core followers append on their own threads into a deque;
a timer moves at most `MAX_ROWS_PER_DRAIN` of them into the Qt model every `DRAIN_MS`, as one insert (and one
trim) per batch, and the model keeps at most `VIEW_CAPACITY` lines. Paused, lines still arrive in the core's
bounded buffer but the view stands still; resuming shows the newest.
"""

from __future__ import annotations

import collections
import contextlib
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from plugboard.core.config.connectors import Connectors
from plugboard.core.errors import PlugboardError
from plugboard.core.logs.model import LogLine, iso_time
from plugboard.core.logs.sources import LiveSources, open_logs

# 20 updates a second, each bounded: followers deliver lines in bursts (a file poll can bring 20,000 lines), and
# one model update of that size stalls the event loop ~80 ms. 3,000 rows per tick (~10 ms of work) keeps up with
# 60,000 lines/s; a longer burst waits in the bounded deque for the next ticks.
DRAIN_MS = 50
MAX_ROWS_PER_DRAIN = 3000
# Lines the view holds; older ones scroll away (the files keep everything, within their rotation).
VIEW_CAPACITY = 20_000
ALL = "All connectors"
LEVELS = {"All levels": 0, "Info and above": 1, "Warnings and errors": 2, "Errors only": 3}
RANK = {"DEBUG": 0, "INFO": 1, "WARNING": 2, "ERROR": 3}
COLOURS = {"ERROR": QColor("#c62828"), "WARNING": QColor("#b26a00"), "DEBUG": QColor("#7a7f85")}
HEADERS = ("Time", "Connector", "Source", "Level", "Text")
Index = QModelIndex | QPersistentModelIndex


class LogTableModel(QAbstractTableModel):
    """The lines the view shows: the newest `capacity` lines held, of which those passing the filter are rows.

    Filtering happens here, in one Python loop per batch, not in a QSortFilterProxyModel: a proxy calls back into
    Python once per inserted row, and each of those calls waits for the GIL, which the follower threads hold while
    they parse a burst — at 50,000 lines/s that alone stalled the event loop 60-90 ms.
    """

    def __init__(self, capacity: int = VIEW_CAPACITY) -> None:
        super().__init__()
        self.held: collections.deque[tuple[int, str, LogLine]] = collections.deque(maxlen=capacity)
        self.rows: list[tuple[int, str, LogLine]] = []
        self.min_rank = 0
        self.search = ""
        self._seq = 0

    def _passes(self, line: LogLine) -> bool:
        if RANK.get(line.level.upper(), 1) < self.min_rank:
            return False
        return not self.search or self.search in line.text.lower()

    def add(self, batch: list[tuple[str, LogLine]]) -> None:
        if not batch:
            return
        numbered = [(self._seq + i, name, line) for i, (name, line) in enumerate(batch)]
        self._seq += len(batch)
        self.held.extend(numbered)
        oldest = self.held[0][0]
        gone = 0
        while gone < len(self.rows) and self.rows[gone][0] < oldest:
            gone += 1
        if gone:
            self.beginRemoveRows(QModelIndex(), 0, gone - 1)
            del self.rows[:gone]
            self.endRemoveRows()
        shown = [row for row in numbered if row[0] >= oldest and self._passes(row[2])]
        if shown:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(shown) - 1)
            self.rows.extend(shown)
            self.endInsertRows()

    def set_filter(self, min_rank: int, search: str) -> None:
        self.beginResetModel()
        self.min_rank, self.search = min_rank, search.lower()
        self.rows = [row for row in self.held if self._passes(row[2])]
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self.held.clear()
        self.rows.clear()
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        _seq, name, line = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            column = index.column()
            if column == 0:
                return iso_time(line.time)[11:23]
            return (name, line.source, line.level.capitalize(), line.text)[column - 1]
        if role == Qt.ItemDataRole.ForegroundRole:
            return COLOURS.get(line.level.upper())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            return iso_time(line.time)
        return None


class LogsPage(QWidget):
    def __init__(self, connectors: Connectors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.connectors = connectors
        self._incoming: collections.deque[tuple[str, LogLine]] = collections.deque(maxlen=VIEW_CAPACITY)
        self._live: list[LiveSources] = []
        self._subscriptions: list[tuple[Any, Any]] = []

        self.chooser = QComboBox()
        self.chooser.setAccessibleName("Whose log")
        self.level = QComboBox()
        self.level.addItems(list(LEVELS))
        self.level.setAccessibleName("Level filter")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search")
        self.search.setAccessibleName("Search the log")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(160)
        self.chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.level.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.follow = QCheckBox("&Follow")
        self.follow.setChecked(True)
        self.pause = QPushButton("&Pause")
        self.pause.setCheckable(True)
        copy = QPushButton("&Copy")
        export = QPushButton("E&xport…")
        clear = QPushButton("C&lear view")
        copy.clicked.connect(self.copy_selection)
        export.clicked.connect(self.export)
        clear.clicked.connect(self.clear)
        self.pause.toggled.connect(self._paused)
        bar = QHBoxLayout()
        for widget in (self.chooser, self.level, self.search, self.follow, self.pause, copy, export, clear):
            bar.addWidget(widget, 1 if widget is self.search else 0)

        self.model = LogTableModel()
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Log lines")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        # Fixed row heights let the view skip measuring 20,000 rows on every insert.
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.status = QLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)

        self.level.currentTextChanged.connect(self._refilter)
        self.search.textChanged.connect(self._refilter)
        self.chooser.currentTextChanged.connect(self.show_log)
        self.timer = QTimer(self)
        self.timer.setInterval(DRAIN_MS)
        self.timer.timeout.connect(self.drain)

    # -- choosing what to show -------------------------------------------------------------------------------------

    def refresh_names(self) -> None:
        try:
            names = [c.name for c in self.connectors.all()]
        except PlugboardError:
            names = []
        current = self.chooser.currentText()
        self.chooser.blockSignals(True)
        self.chooser.clear()
        self.chooser.addItems([ALL, *names])
        self.chooser.blockSignals(False)
        self.show_log(current if current in names else ALL)

    def show_log(self, which: str) -> None:
        if self.chooser.currentText() != which:
            self.chooser.setCurrentText(which)
        self.stop_following()
        self.model.clear()
        self._incoming.clear()
        names = [self.chooser.itemText(i) for i in range(1, self.chooser.count())] if which == ALL else [which]
        history: list[tuple[str, LogLine]] = []
        for name in names:
            try:
                log, live = open_logs(self.connectors, name, capacity=VIEW_CAPACITY)
            except PlugboardError:
                continue
            history += [(name, line) for line in log.lines()]

            def arrived(batch: list[LogLine], name: str = name) -> None:
                self._incoming.extend((name, line) for line in batch)  # deque.extend is thread-safe

            log.subscribe(arrived)
            self._subscriptions.append((log, arrived))
            live.start()
            self._live.append(live)
        history.sort(key=lambda item: item[1].time)
        self.model.add(history[-VIEW_CAPACITY:])
        self._scroll()
        self._update_status()
        self.timer.start()

    def stop_following(self) -> None:
        self.timer.stop()
        for log, callback in self._subscriptions:
            log.unsubscribe(callback)
        self._subscriptions.clear()
        for live in self._live:
            live.close()
        self._live.clear()

    # -- live updates ------------------------------------------------------------------------------------------------

    def drain(self) -> None:
        if self.pause.isChecked() or not self._incoming:
            return
        batch = []
        with contextlib.suppress(IndexError):
            for _ in range(min(len(self._incoming), MAX_ROWS_PER_DRAIN)):
                batch.append(self._incoming.popleft())
        self.model.add(batch)
        self._scroll()
        self._update_status()

    def _scroll(self) -> None:
        if self.follow.isChecked():
            self.view.scrollToBottom()

    def _paused(self, paused: bool) -> None:
        self.pause.setText("&Resume" if paused else "&Pause")
        if not paused:
            self.drain()

    def _refilter(self) -> None:
        self.model.set_filter(LEVELS[self.level.currentText()], self.search.text())
        self._update_status()

    def _update_status(self) -> None:
        shown, held = len(self.model.rows), len(self.model.held)
        self.status.setText(f"{shown} of {held} lines" if shown != held else f"{held} lines")

    # -- actions -------------------------------------------------------------------------------------------------------

    def visible_text(self, rows: list[int] | None = None) -> str:
        chosen = self.model.rows if rows is None else [self.model.rows[r] for r in rows]
        return "\n".join(
            f"{iso_time(line.time)} {name} {line.source} {line.level} {line.text}" for _, name, line in chosen
        )

    def copy_selection(self) -> None:
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        QGuiApplication.clipboard().setText(self.visible_text(rows or None))

    def export(self, path: str | None = None) -> None:
        if path is None:
            path, _filter = QFileDialog.getSaveFileName(self, "Export log", "plugboard-log.txt", "Text files (*.txt)")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(self.visible_text() + "\n")
            self.status.setText(f"Exported {len(self.model.rows)} lines to {path}")

    def clear(self) -> None:
        self.model.clear()
        self._update_status()

    def shutdown(self) -> None:
        self.stop_following()
