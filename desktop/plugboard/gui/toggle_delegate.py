"""Paints the On/Off column as a switch and turns a click (or Space on the focused row) into a toggle request."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from plugboard.gui.connectors_model import SWITCH_ROLE, ConnectorsModel

TRACK_W, TRACK_H = 36, 20
ON_COLOUR, OFF_COLOUR = "#2e7d32", "#9aa0a6"


class ToggleDelegate(QStyledItemDelegate):
    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        on = bool(index.data(SWITCH_ROLE))
        rect = option.rect
        palette = option.palette
        track = QRectF(rect.x() + 8, rect.center().y() - TRACK_H / 2, TRACK_W, TRACK_H)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        # Fixed colours, not the palette's highlight: on a selected row the highlight is the row's own background
        # and an "on" track would vanish into it.
        painter.setBrush(QColor(ON_COLOUR) if on else QColor(OFF_COLOUR))
        painter.drawRoundedRect(track, TRACK_H / 2, TRACK_H / 2)
        knob = TRACK_H - 4
        x = track.right() - knob - 2 if on else track.left() + 2
        painter.setBrush(QColor("white"))
        painter.drawEllipse(QRectF(x, track.top() + 2, knob, knob))
        pending = "(pending)" in str(index.data(Qt.ItemDataRole.DisplayRole))
        if pending:
            painter.setPen(palette.text().color())
            painter.drawText(
                QRectF(track.right() + 6, rect.y(), rect.width() - TRACK_W - 14, rect.height()),
                int(Qt.AlignmentFlag.AlignVCenter),
                "pending",
            )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(TRACK_W + 80, TRACK_H + 12)

    def editorEvent(
        self, event: QEvent, model: object, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease and isinstance(model, ConnectorsModel):
            assert isinstance(event, QMouseEvent)
            if event.button() == Qt.MouseButton.LeftButton:
                model.request_toggle(index.row())
                return True
        return False
