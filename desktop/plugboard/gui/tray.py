"""The tray icon: overall state, quick switches, open the window, quit; notifications on crashes and tunnel drops.

It holds no state of its own: the window tells it the overall state and the connector rows, and it forwards a
click on a quick switch to the same `toggle` the Connectors page uses (so staging while Claude runs applies too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from plugboard.gui.connectors_model import Row
from plugboard.gui.icons import app_icon

# A notification stays up this long: long enough to read one sentence.
NOTIFY_MS = 6000


class Tray(QSystemTrayIcon):
    def __init__(
        self,
        open_window: Callable[[], None],
        toggle: Callable[[str, bool], None],
        quit_app: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(app_icon("idle"), parent)
        self._toggle = toggle
        self.menu = QMenu(parent)
        # Owned by the tray, not the menu: menu.clear() deletes the actions the menu owns.
        self.open_action = QAction("Open Plugboard", self)
        self.open_action.triggered.connect(open_window)
        self.quit_action = QAction("Quit Plugboard", self)
        self.quit_action.triggered.connect(quit_app)
        self.switches: list[QAction] = []
        self.setContextMenu(self.menu)
        self.activated.connect(
            lambda reason: open_window() if reason == QSystemTrayIcon.ActivationReason.Trigger else None
        )
        self.update_rows([], "idle", "Plugboard")

    def update_rows(self, rows: Sequence[Row], state: str, summary: str) -> None:
        self.setIcon(app_icon(state))
        self.setToolTip(summary)
        self.menu.clear()
        self.menu.addAction(self.open_action)
        self.menu.addSeparator()
        self.switches = []
        for row in rows:
            action = QAction(row.connector.name, self.menu)
            action.setCheckable(True)
            action.setChecked(row.shown_enabled)
            action.setToolTip(row.status)
            name = row.connector.name
            action.toggled.connect(lambda on, name=name: self._toggle(name, on))
            self.menu.addAction(action)
            self.switches.append(action)
        if rows:
            self.menu.addSeparator()
        self.menu.addAction(self.quit_action)

    def notify(self, title: str, text: str, bad: bool = False) -> None:
        icon = QSystemTrayIcon.MessageIcon.Warning if bad else QSystemTrayIcon.MessageIcon.Information
        self.showMessage(title, text, icon, NOTIFY_MS)


def overall_state(rows: Sequence[Row]) -> tuple[str, str]:
    """The tray's colour and tooltip from the rows: red if any connector fails, green if any runs, else grey."""
    failing = [r.connector.name for r in rows if r.light == "bad"]
    running = [r for r in rows if r.light == "ok"]
    if failing:
        return "bad", f"Plugboard: {', '.join(failing)} failing"
    if running:
        return "ok", f"Plugboard: {len(running)} connector{'s' if len(running) != 1 else ''} running"
    return "idle", "Plugboard"
