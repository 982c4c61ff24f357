"""Paints the On/Off column as a switch and turns a click (or Space on the focused row) into a toggle request.

The switch sits at the same place in every row and the rows keep their order when switched (the page's stable
order), so two clicks at one point always hit the same connector's switch. When its row has the keyboard focus the
switch gets a focus ring, so a keyboard user sees what Space will switch.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from plugboard.gui.connectors_model import SWITCH_ROLE, ConnectorsModel

TRACK_W, TRACK_H = 36, 20
ON_COLOUR, OFF_COLOUR = "#2e7d32", "#8a9096"
FOCUS_COLOUR = "#3b78d8"


class ToggleDelegate(QStyledItemDelegate):
    WIDTH = TRACK_W + 40
    """The column's width: the track plus room for "pending" under it and the focus ring."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        on = bool(index.data(SWITCH_ROLE))
        rect = option.rect
        palette = option.palette
        pending = "(pending)" in str(index.data(Qt.ItemDataRole.DisplayRole))
        top = rect.center().y() - TRACK_H / 2 - (6 if pending else 0)
        track = QRectF(rect.x() + 10, top, TRACK_W, TRACK_H)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, palette.highlight())
        painter.setPen(Qt.PenStyle.NoPen)
        # Fixed colours, not the palette's highlight: on a selected row the highlight is the row's own background
        # and an "on" track would vanish into it.
        painter.setBrush(QColor(ON_COLOUR) if on else QColor(OFF_COLOUR))
        painter.drawRoundedRect(track, TRACK_H / 2, TRACK_H / 2)
        knob = TRACK_H - 4
        x = track.right() - knob - 2 if on else track.left() + 2
        painter.setBrush(QColor("white"))
        painter.drawEllipse(QRectF(x, track.top() + 2, knob, knob))
        view = option.widget
        focused = view is not None and view.hasFocus() and bool(option.state & QStyle.StateFlag.State_Selected)
        if focused:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(FOCUS_COLOUR), 2))
            painter.drawRoundedRect(track.adjusted(-3, -3, 3, 3), TRACK_H / 2 + 3, TRACK_H / 2 + 3)
        if pending:
            font = painter.font()
            font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
            painter.setFont(font)
            painter.setPen(
                palette.highlightedText().color()
                if option.state & QStyle.StateFlag.State_Selected
                else palette.text().color()
            )
            painter.drawText(
                QRectF(rect.x(), track.bottom() + 1, rect.width(), rect.bottom() - track.bottom()),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                "pending",
            )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(self.WIDTH, TRACK_H + 12)

    def editorEvent(
        self, event: QEvent, model: object, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease and isinstance(model, ConnectorsModel):
            assert isinstance(event, QMouseEvent)
            if event.button() == Qt.MouseButton.LeftButton:
                model.request_toggle(index.row())
                return True
        # A quick second click is a second toggle (the release above), never "open the connector".
        return event.type() == QEvent.Type.MouseButtonDblClick
