"""A row of controls that folds what does not fit into a "More" menu, so a page works on a narrow window (a
1366×768 laptop at 200 % is 683 logical pixels wide).

Each control is added as essential (always shown: a search field, a chooser) or foldable (buttons and check
boxes). When the row is narrower than everything needs, foldable controls are hidden from the right end, and the
"More" button's menu offers each hidden one as an action that clicks it (a check box or a checkable button becomes
a checkable action with its current state and enabled state). Nothing is lost: every control stays reachable by
mouse and keyboard (the More button takes focus like any button).

The row's minimum width is the essentials plus the More button, set explicitly: a plain `QHBoxLayout` would make
the minimum the sum of every control shown, and the window could never be narrower than its widest toolbar.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QHBoxLayout,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from plugboard.gui.theme import icon


class FoldingBar(QWidget):
    def __init__(self, parent: QWidget | None = None, name: str = "Actions") -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._items: list[tuple[QWidget, bool, int]] = []
        """(control, foldable, stretch), in the order shown."""
        self.more = QToolButton()
        self.more.setIcon(icon("more"))
        self.more.setToolTip("More actions")
        self.more.setAccessibleName("More actions")
        self.more.setAccessibleDescription("Actions that do not fit in the window's width")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.more)
        self.menu.aboutToShow.connect(self._fill_menu)
        self.more.setMenu(self.menu)
        self.more.hide()
        self._stretch_at: int | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def add(self, control: QWidget, *, foldable: bool = True, stretch: int = 0) -> QWidget:
        self._items.append((control, foldable, stretch))
        self._rebuild()
        return control

    def add_stretch(self) -> None:
        self._stretch_at = len(self._items)
        self._rebuild()

    def folded(self) -> list[QWidget]:
        """The controls now offered in the More menu instead of the row."""
        return [c for c, foldable, _ in self._items if foldable and c.isHidden() and c.property("folded")]

    # -- layout ----------------------------------------------------------------------------------------------------

    def _rebuild(self) -> None:
        while self._row.count():
            self._row.takeAt(0)
        for i, (control, _foldable, stretch) in enumerate(self._items):
            if i == self._stretch_at:
                self._row.addStretch(1)
            self._row.addWidget(control, stretch)
        if self._stretch_at is not None and self._stretch_at >= len(self._items):
            self._row.addStretch(1)
        self._row.addWidget(self.more)
        self.setMinimumWidth(self._essential_width())
        self._fold(self.width())

    def _spacing(self) -> int:
        return max(0, self._row.spacing())

    def _width_of(self, control: QWidget) -> int:
        hint = control.sizeHint().width()
        return max(hint, control.minimumSizeHint().width(), control.minimumWidth())

    def _essential_width(self) -> int:
        essentials = [c for c, foldable, _ in self._items if not foldable]
        widths = [max(c.minimumSizeHint().width(), c.minimumWidth()) for c in essentials]
        widths.append(self.more.sizeHint().width())
        return sum(widths) + self._spacing() * len(widths)

    def sizeHint(self) -> QSize:
        width = sum(self._width_of(c) for c, _f, _s in self._items) + self._spacing() * len(self._items)
        return QSize(width, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self._essential_width(), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fold(event.size().width())

    def _fold(self, width: int) -> None:
        spacing = self._spacing()
        needed = sum(self._width_of(c) + spacing for c, _f, _s in self._items)
        foldable = [c for c, f, _ in self._items if f]
        hide: list[QWidget] = []
        if needed > width and foldable:
            needed += self.more.sizeHint().width() + spacing
            for control in reversed(foldable):
                if needed <= width:
                    break
                hide.append(control)
                needed -= self._width_of(control) + spacing
        for control in foldable:
            folded = control in hide
            control.setProperty("folded", folded)
            control.setVisible(not folded)
        self.more.setVisible(bool(hide))

    # -- the More menu -------------------------------------------------------------------------------------------

    def _fill_menu(self) -> None:
        self.menu.clear()
        for control in self.folded():
            if not isinstance(control, QAbstractButton):
                continue
            action = QAction(control.text(), self.menu)
            action.setEnabled(control.isEnabled())
            action.setToolTip(control.toolTip())
            if control.isCheckable():
                action.setCheckable(True)
                action.setChecked(control.isChecked())
                action.toggled.connect(control.setChecked)
            else:
                action.triggered.connect(control.click)
            self.menu.addAction(action)
