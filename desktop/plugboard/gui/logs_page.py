"""The Logs page: a live view of one connector's log, or all of them, with follow / pause, search, a level filter,
copy, export and clear; lines coloured by level; secrets masked by the core (`core.logs.sources.open_logs`, every
source, Claude Desktop's own log included).

Opening never waits on the GUI thread: the connectors' names (a config read) and each log with its masks (a keyring
read per secret; a locked Secret Service may hang) are opened on a worker; the view empties at once and the lines,
then the live followers, come when it is done. Only the newest choice's logs are shown; an older open's, or one
that finishes after the page closed, are closed unseen.

Compact rows (one text line each, so a page shows ~3× more than Qt's default height), long lines cut with "…"
and whole in the row's tooltip and in the detail pane under the table, which shows the selected line wrapped and
selectable (addresses in it are links). The toolbar folds into a "More" menu on a narrow window.

Staying responsive while a server writes 50,000 lines/s: core followers append on their own threads into a deque;
a timer moves at most `MAX_ROWS_PER_DRAIN` of them into the Qt model every `DRAIN_MS`, as one insert (and one
trim) per batch, and the model keeps at most `VIEW_CAPACITY` lines. Paused, lines still arrive in the core's
bounded buffer but the view stands still; resuming shows the newest.
"""

from __future__ import annotations

import collections
import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSignalBlocker,
    QStandardPaths,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from plugboard.core.config.connectors import Connector, Connectors
from plugboard.core.errors import PlugboardError
from plugboard.core.files.atomic import write_atomic
from plugboard.core.logs.model import LogLine, LogModel, iso_time
from plugboard.core.logs.sources import LiveSources, open_logs
from plugboard.gui.toolbar import FoldingBar
from plugboard.gui.widgets import linkify
from plugboard.gui.worker import JOIN_S, Workers, remaining

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
TEXT = HEADERS.index("Text")
# A row is one line of text plus this many pixels (Qt's default row is about twice the text's height).
ROW_PADDING = 4
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
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == 0:
                return iso_time(line.time)
            if index.column() == TEXT:
                return line.text  # the whole line, however long; the cell shows what fits
        return None

    def line_at(self, row: int) -> tuple[str, LogLine]:
        _seq, name, line = self.rows[row]
        return name, line


@dataclass(eq=False)
class Opened:
    """What one open found: the names to choose from, the choice, and its logs opened (followers not started)."""

    ticket: int
    names: list[str]
    which: str
    logs: list[tuple[str, LogModel, LiveSources]] = field(default_factory=list)

    def close(self) -> None:
        for _name, _log, live in self.logs:
            live.close()


class LogsPage(QWidget):
    def __init__(self, connectors: Connectors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.connectors = connectors
        self._incoming: collections.deque[tuple[str, LogLine]] = collections.deque(maxlen=VIEW_CAPACITY)
        self._live: list[LiveSources] = []
        self._subscriptions: list[tuple[Any, Any]] = []
        self.workers = Workers(self)
        self._opening = 0
        """The ticket of the newest open asked for: an older one's result is closed unseen."""
        self._opened_lock = threading.Lock()
        self._unclaimed: list[Opened] = []
        """Opened on a worker, not yet shown: what `shutdown` closes if the page goes before they are shown."""
        self._shut = False

        self.chooser = QComboBox()
        self.chooser.setAccessibleName("Whose log")
        self.chooser.setMinimumContentsLength(8)
        self.chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.level = QComboBox()
        self.level.addItems(list(LEVELS))
        self.level.setAccessibleName("Level filter")
        self.level.setMinimumContentsLength(8)
        self.level.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search")
        self.search.setAccessibleName("Search the log")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(110)
        self.follow = QCheckBox("&Follow")
        self.follow.setChecked(True)
        self.follow.setAccessibleDescription("Keep the newest line in view")
        self.pause = QPushButton("&Pause")
        self.pause.setCheckable(True)
        self.pause.setAccessibleDescription("Hold the view still; new lines wait until you resume")
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setAccessibleDescription("Copy the selected lines, or every line shown")
        self.export_button = QPushButton("E&xport…")
        self.export_button.setAccessibleDescription("Save the lines shown to a text file")
        self.clear_button = QPushButton("C&lear view")
        self.clear_button.setAccessibleDescription("Empty the view; the log files keep every line")
        self.copy_button.clicked.connect(self.copy_selection)
        # Not `connect(self.export)`: Qt passes the button's `checked` (False) and export() took it for a path.
        self.export_button.clicked.connect(lambda _checked=False: self.export())
        self.clear_button.clicked.connect(self.clear)
        self.pause.toggled.connect(self._paused)
        self.bar = FoldingBar(name="Log actions")
        self.bar.add(self.chooser, foldable=False)
        self.bar.add(self.level, foldable=False)
        self.bar.add(self.search, foldable=False, stretch=1)
        for widget in (self.follow, self.pause, self.copy_button, self.export_button, self.clear_button):
            self.bar.add(widget)

        self.model = LogTableModel()
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Log lines")
        self.view.setAccessibleDescription("The newest lines at the bottom; the selected line is shown whole below")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setShowGrid(False)
        self.view.setTabKeyNavigation(False)
        rows = self.view.verticalHeader()
        rows.hide()
        # Fixed row heights let the view skip measuring 20,000 rows on every insert; one text line each.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setMinimumSectionSize(1)
        rows.setDefaultSectionSize(self.fontMetrics().height() + ROW_PADDING)
        columns = self.view.horizontalHeader()
        columns.setStretchLastSection(True)
        columns.setMinimumSectionSize(24)
        for column, sample in enumerate(("00:00:00.000", "connector-name", "launcher", "Warning")):
            columns.resizeSection(column, self.fontMetrics().horizontalAdvance(sample) + 16)
        self.detail = QTextBrowser()
        self.detail.setObjectName("logDetail")
        self.detail.setAccessibleName("Selected line")
        self.detail.setAccessibleDescription("The selected log line, whole")
        self.detail.setOpenExternalLinks(True)
        self.detail.setPlaceholderText("Select a line to read it whole here.")
        self.detail.setMinimumHeight(self.fontMetrics().height() * 2 + 12)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.view.selectionModel().currentRowChanged.connect(lambda current, _previous: self._show_detail(current))
        self.status = QLabel()
        self.status.setProperty("role", "muted")
        self.status.setAccessibleName("Lines shown")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status)

        self.level.currentTextChanged.connect(self._refilter)
        self.search.textChanged.connect(self._refilter)
        self.chooser.currentTextChanged.connect(self.show_log)
        self.timer = QTimer(self)
        self.timer.setInterval(DRAIN_MS)
        self.timer.timeout.connect(self.drain)

    # -- choosing what to show -------------------------------------------------------------------------------------

    def refresh_names(self) -> None:
        """Re-read the connectors' names and show the chosen log again (all of them if it is gone)."""
        self.show_log(self.chooser.currentText() or ALL, refresh=True)

    def show_log(self, which: str, *, refresh: bool = False) -> None:
        """Show `which` (a connector's name, or `ALL`): the view empties now; the logs open on a worker (a config
        read, and a keyring read per secret for the masks) and are shown, then followed, when it is done."""
        if self._shut:
            return
        if self.chooser.currentText() != which and self.chooser.findText(which) >= 0:
            with QSignalBlocker(self.chooser):
                self.chooser.setCurrentText(which)
        self.stop_following()
        self.model.clear()
        self._incoming.clear()
        with self._opened_lock:
            self._opening += 1
            ticket = self._opening
        known = [self.chooser.itemText(i) for i in range(1, self.chooser.count())]
        # The names listed are reused unless asked afresh, or the choice is not among them (a connector just added).
        names = known if known and not refresh and (which == ALL or which in known) else None
        self.status.setText("Opening the logs…")
        connectors = self.connectors
        self.workers.start(
            "open-logs",
            lambda: self._open(connectors, which, names, ticket),
            on_done=self._opened,
            on_failed=self.status.setText,
        )

    def _open(self, connectors: Connectors, which: str, names: list[str] | None, ticket: int) -> Opened:
        """On a worker: the names (read afresh unless given) and the chosen logs opened, not yet followed."""
        entries: dict[str, Connector] = {}
        if names is None:
            try:
                entries = {c.name: c for c in connectors.all()}
            except PlugboardError:
                entries = {}
            names = list(entries)
        if which != ALL and which not in names and not (connectors.dirs.connector_log(which).exists()):
            which = ALL  # the connector was removed (or renamed) and left no log of its own
        opened = Opened(ticket, names, which)
        for name in names if which == ALL else [which]:
            try:
                log, live = open_logs(connectors, name, capacity=VIEW_CAPACITY, connector=entries.get(name))
            except PlugboardError:
                continue
            opened.logs.append((name, log, live))
        with self._opened_lock:
            if self._shut or ticket != self._opening:
                opened.close()  # the page closed, or another log was chosen, while these opened
            else:
                self._unclaimed.append(opened)
        return opened

    def _opened(self, opened: Opened) -> None:
        with self._opened_lock:
            if opened not in self._unclaimed:
                return  # closed already: a newer choice or the page's shutdown came first
            self._unclaimed.remove(opened)
            if self._shut or opened.ticket != self._opening:
                opened.close()
                return
        with QSignalBlocker(self.chooser):
            self.chooser.clear()
            self.chooser.addItems([ALL, *opened.names])
            if opened.which != ALL and opened.which not in opened.names:
                self.chooser.addItem(opened.which)  # a removed connector's log, still on disk
            self.chooser.setCurrentText(opened.which)
        history: list[tuple[str, LogLine]] = []
        for name, log, live in opened.logs:
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

    def opening(self) -> bool:
        """Whether a log is still being opened (for tests, and for a caller that waits)."""
        return self.workers.busy("open-logs") or bool(self._unclaimed)

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
            suggested = str(export_folder() / "plugboard-log.txt")
            path, _filter = QFileDialog.getSaveFileName(self, "Export log", suggested, "Text files (*.txt)")
        if not path:
            return
        try:
            # The lines in view are already masked; the file is the user's alone (0600), like every log.
            write_atomic(Path(path), (self.visible_text() + "\n").encode("utf-8"))
        except OSError as exc:
            self.status.setText(f"Could not save the log to {path}: {exc.strerror or exc}. Choose another place.")
            self.status.setToolTip(path)
            return
        self.status.setText(f"Exported {len(self.model.rows)} lines to {path}")
        self.status.setToolTip(path)

    def clear(self) -> None:
        self.model.clear()
        self.detail.clear()
        self._update_status()

    def _show_detail(self, index: QModelIndex) -> None:
        if not index.isValid() or index.row() >= len(self.model.rows):
            self.detail.clear()
            return
        name, line = self.model.line_at(index.row())
        head = f"{iso_time(line.time)} · {name} · {line.source} · {line.level.capitalize()}"
        self.detail.setHtml(f"<div style='opacity:0.7'>{linkify(head)}</div><div>{linkify(line.text)}</div>")

    def shutdown(self, deadline: float | None = None) -> None:
        """The page goes: stop following; an open still running is given until `deadline` (`time.monotonic()`),
        and whatever it opened is closed, now or the moment it is done."""
        with self._opened_lock:
            self._shut = True
            self._opening += 1
            unclaimed, self._unclaimed = self._unclaimed, []
        for opened in unclaimed:
            opened.close()
        self.stop_following()
        self.workers.join(remaining(deadline, JOIN_S))


def export_folder() -> Path:
    """Where Export suggests saving: the user's Documents folder, else their home (never the app's working folder)."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()
