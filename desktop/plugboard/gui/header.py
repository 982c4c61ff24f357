"""The window's header: whether Claude Desktop is running, whether changes wait for its restart (with the Restart
button), and the app menu (on Linux and Windows; macOS has its global menu bar).

Whether Claude runs is told by the Connectors page (`set_running`, from the page's own poll, a process-table scan on
a worker): one scan, one answer, so the header never disagrees with the page's banner and a running app scans once
per poll, not twice. The header itself never waits on anything. The count of waiting changes comes from the
Connectors page too (`set_pending`); the Restart button asks the page to apply them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QWidget

from plugboard.gui.icons import status_dot
from plugboard.gui.theme import icon

DOTS = {"running": "#2e9d4c", "stopped": "#9aa0a6", "unknown": "#d98e04"}


class Header(QWidget):
    restart_requested = Signal()

    def __init__(self, menu: QMenu | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("header")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.running: bool | None = None
        """Whether Claude Desktop runs, as the Connectors page last saw it (None: not known yet)."""
        self.pending = 0

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
        self._show()

    # -- Claude Desktop ----------------------------------------------------------------------------------------

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
            key, words = "unknown", "Looking for Claude Desktop…"
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
