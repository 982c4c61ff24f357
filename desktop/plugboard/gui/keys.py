"""Enter presses the focused button, as Space does.

Qt on Linux and Windows clicks a focused push button with Space only (Enter reaches a dialog's default button, and
nothing at all in a main window), so a keyboard user who Tabs to "Restart Claude now" and presses Enter sees nothing
happen. New users press Enter. One application-wide event filter makes Enter and Return click the focused push or
tool button (once: the event is consumed, so a dialog's default button does not also fire).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPushButton, QToolButton

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class EnterPresses(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(watched, (QPushButton, QToolButton)):
            return False
        key = event  # a QKeyEvent for every KeyPress
        assert isinstance(key, QKeyEvent)
        if key.key() not in _ENTER or key.modifiers() not in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        ):
            return False
        if not (watched.isEnabled() and watched.isVisible() and watched.hasFocus()):
            return False
        if isinstance(watched, QToolButton) and watched.menu() is not None and watched.defaultAction() is None:
            watched.showMenu()
        else:
            watched.animateClick()
        return True


def install_enter_presses(app: QCoreApplication) -> EnterPresses:
    presses = EnterPresses(app)
    app.installEventFilter(presses)
    return presses
