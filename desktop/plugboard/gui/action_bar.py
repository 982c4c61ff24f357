"""A row of buttons that folds what does not fit into a "More…" menu, so a narrow window (a 1366×768 laptop at 200 %)
still reaches every action.

Each action is a `QAction` (its text, enabled state and tooltip — the reason when it is disabled — live there, once);
each gets a `QToolButton` in the row. On every resize the bar shows buttons in the order given while they fit, and
the rest appear, in the same order, in the More… menu. A button that is folded away still exists (its `click()`
still triggers the action), so code and tests can hold on to it.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QMenu, QSizePolicy, QToolButton, QWidget

SPACING = 6


class ActionBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actions_in_order: list[QAction] = []
        self.buttons: dict[QAction, QToolButton] = {}
        self.more_menu = QMenu(self)
        self.more_menu.setToolTipsVisible(True)  # a disabled action's tooltip says why
        self.more = QToolButton(self)
        self.more.setText("More…")
        self.more.setAccessibleName("More actions")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more.setMenu(self.more_menu)
        self.more.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(SPACING)
        self._row.addStretch(1)
        self._row.addWidget(self.more)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def add(self, action: QAction, *, primary: bool = False) -> QToolButton:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        if primary:
            button.setObjectName("primaryAction")
        self._row.insertWidget(len(self.actions_in_order), button)
        self.actions_in_order.append(action)
        self.buttons[action] = button
        self.arrange(self.width())
        return button

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(self.more.sizeHint().width() * 3, hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.more.sizeHint().width(), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.arrange(event.size().width())

    def folded(self) -> list[QAction]:
        """The actions in the More… menu now."""
        return [a for a in self.actions_in_order if not self.buttons[a].isVisibleTo(self)]

    def arrange(self, width: int) -> None:
        """Show buttons in order while they fit in `width` (leaving room for More… when anything is folded)."""
        widths = [self.buttons[a].sizeHint().width() for a in self.actions_in_order]
        total = sum(widths) + SPACING * max(0, len(widths) - 1)
        fits_all = total <= width
        room = width if fits_all else width - self.more.sizeHint().width() - SPACING
        used = 0
        shown: list[bool] = []
        for number, needed in enumerate(widths):
            step = needed + (SPACING if number else 0)
            fits = fits_all or (used + step <= room and all(shown))
            shown.append(fits)
            if fits:
                used += step
        self.more_menu.clear()
        for action, visible in zip(self.actions_in_order, shown, strict=True):
            self.buttons[action].setVisible(visible)
            if not visible:
                self.more_menu.addAction(action)
        self.more.setVisible(not all(shown))
