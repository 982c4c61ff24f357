"""The window's header: whether Claude Desktop is running, whether changes wait for its restart (with the Restart
button), and the app menu (on Linux and Windows; macOS has its global menu bar).

Whether Claude runs is a process-table scan (~15 ms, longer on a loaded machine): it runs on a worker thread,
first once the window has painted, then every `POLL_MS`; the GUI thread never waits for it. The count of waiting
changes comes from the Connectors page (`set_pending`); the Restart button asks the page to apply them.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QWidget

from plugboard.gui.icons import status_dot
from plugboard.gui.theme import icon
from plugboard.gui.worker import Workers

# Whether Claude Desktop runs changes when the user starts or quits it: every 10 s keeps the header true without
# costing measurable CPU (a scan is ~15 ms on a worker; the Connectors page asks afresh before every write).
POLL_MS = 10_000
# Closing the window waits this long for a scan still running.
JOIN_S = 2.0
DOTS = {"running": "#2e9d4c", "stopped": "#9aa0a6", "unknown": "#d98e04"}


class ClaudeStatusSource(Protocol):
    def status(self) -> Any: ...


class Header(QWidget):
    restart_requested = Signal()

    def __init__(self, claude: ClaudeStatusSource | None, menu: QMenu | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("header")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.claude = claude
        self.running: bool | None = None
        self.pending = 0
        self.workers = Workers(self)

        self.menu_button: QToolButton | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        if menu is not None:
            self.menu_button = QToolButton()
            self.menu_button.setIcon(icon("menu"))
            self.menu_button.setToolTip("Menu")
            self.menu_button.setAccessibleName("Menu")
            self.menu_button.setAccessibleDescription("Pages, and quitting Plugboard")
            self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
            self.menu_button.setMenu(menu)
            row.addWidget(self.menu_button)
        self.light = QLabel()
        self.light.setAccessibleName("Claude Desktop light")
        self.state = QLabel("Looking for Claude Desktop…")
        self.state.setObjectName("claudeState")
        self.state.setAccessibleName("Claude Desktop")
        self.pending_text = QLabel()
        self.pending_text.setObjectName("pendingText")
        self.pending_text.setAccessibleName("Changes waiting")
        self.pending_text.setWordWrap(True)
        self.restart_button = QPushButton("Restart Claude")
        self.restart_button.setAccessibleName("Restart Claude Desktop")
        self.restart_button.setAccessibleDescription("Quit Claude Desktop, write the waiting changes, start it again")
        self.restart_button.setToolTip("Quit Claude Desktop, write the waiting changes, start it again")
        self.restart_button.clicked.connect(self.restart_requested.emit)
        row.addWidget(self.light)
        row.addWidget(self.state)
        row.addWidget(self.pending_text, 1)
        row.addWidget(self.restart_button)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.scan)
        self._show()

    # -- Claude Desktop ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Begin watching Claude Desktop (called once the window has painted)."""
        self.scan()
        self.timer.start()

    def scan(self) -> None:
        if self.claude is None or self.workers.busy():
            return
        self.workers.start("header-claude", self.claude.status, on_done=self._scanned, on_failed=self._failed)

    def _scanned(self, status: Any) -> None:
        self.set_running(bool(status.running))

    def _failed(self, _message: str) -> None:
        self.running = None
        self._show()

    def set_running(self, running: bool) -> None:
        self.running = running
        self._show()

    # -- waiting changes ------------------------------------------------------------------------------------------

    def set_pending(self, count: int) -> None:
        self.pending = max(0, count)
        self._show()

    def set_restarting(self, text: str | None) -> None:
        """While a restart runs: say so and disable the button; None when it is over."""
        self.restart_button.setEnabled(text is None)
        if text is not None:
            self.pending_text.setText(text)
        else:
            self._show()

    def _show(self) -> None:
        if self.running is None:
            key, words = "unknown", "Looking for Claude Desktop…" if self.claude is not None else "Claude Desktop"
        elif self.running:
            key, words = "running", "Claude Desktop is running"
        else:
            key, words = "stopped", "Claude Desktop is not running"
        self.light.setPixmap(status_dot(DOTS[key]).pixmap(12, 12))
        self.light.setAccessibleDescription(words)
        self.state.setText(words)
        if self.pending:
            noun = "change waits" if self.pending == 1 else "changes wait"
            self.pending_text.setText(f"· {self.pending} {noun} for a restart")
        else:
            self.pending_text.setText("")
        self.restart_button.setVisible(bool(self.pending) and self.running is not False)

    def shutdown(self) -> None:
        self.timer.stop()
        self.workers.join(JOIN_S)
