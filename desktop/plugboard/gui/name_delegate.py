"""Paints the Connector column: the connector's badge (its initial on a colour of its own), its name, and under it
the line that says how it is ("Working — 14 tools", "Can't start: Node.js is not installed"), both elided to the
column with the full text on hover (the model's tooltip).

A badge, not a logo: the app ships no vendor logos (none can be fetched here, and their licences differ), so each
connector gets a stable colour from its name and its first letter — still enough to find it at a glance.
"""

from __future__ import annotations

import hashlib

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from plugboard.gui.connectors_model import LIGHT_ROLE, LINE_ROLE

# Muted colours that all carry white text at AA contrast, light or dark theme.
BADGE_COLOURS = ("#5b6ee1", "#2f8f83", "#b8572f", "#8a4fb4", "#3d7fb8", "#a0493f", "#4f7d33", "#7a6a2f")
BAD_TEXT = "#c62828"
PADDING = 6


def row_height(metrics: QFontMetrics) -> int:
    """Two lines (the name and its status line) and some air."""
    return max(40, metrics.height() * 2 + 12)


def badge_colour(name: str) -> QColor:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return QColor(BADGE_COLOURS[digest[0] % len(BADGE_COLOURS)])


def initial(name: str) -> str:
    letters = [ch for ch in name if ch.isalnum()]
    return letters[0].upper() if letters else "?"


class NameDelegate(QStyledItemDelegate):
    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        line = str(index.data(LINE_ROLE) or "")
        light = str(index.data(LIGHT_ROLE) or "off")
        # The selection and focus background, drawn by the style as for any cell.
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)

        rect: QRect = option.rect.adjusted(PADDING, 0, -PADDING, 0)
        size = min(28, rect.height() - 8)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        badge = QRectF(rect.x(), rect.center().y() - size / 2, size, size)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(badge_colour(name))
        painter.drawEllipse(badge)
        letter_font = QFont(option.font)
        letter_font.setBold(True)
        painter.setFont(letter_font)
        painter.setPen(QColor("white"))
        painter.drawText(badge, int(Qt.AlignmentFlag.AlignCenter), initial(name))

        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorGroup.Active
        text_colour = option.palette.color(
            group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        text_left = int(badge.right()) + PADDING + 2
        width = max(0, rect.right() - text_left)
        name_font = QFont(option.font)
        name_font.setBold(True)
        top_metrics = QFontMetrics(name_font)
        line_font = QFont(option.font)
        if line_font.pointSizeF() > 0:
            line_font.setPointSizeF(line_font.pointSizeF() * 0.92)
        line_metrics = QFontMetrics(line_font)
        total = top_metrics.height() + line_metrics.height()
        y = rect.center().y() - total // 2
        painter.setFont(name_font)
        painter.setPen(text_colour)
        painter.drawText(
            QRect(text_left, y, width, top_metrics.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            top_metrics.elidedText(name, Qt.TextElideMode.ElideRight, width),
        )
        painter.setFont(line_font)
        if light == "bad" and not selected:
            painter.setPen(QColor(BAD_TEXT))
        else:
            muted = QColor(text_colour)
            muted.setAlphaF(0.78)
            painter.setPen(muted)
        painter.drawText(
            QRect(text_left, y + top_metrics.height(), width, line_metrics.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            line_metrics.elidedText(line, Qt.TextElideMode.ElideRight, width),
        )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(220, row_height(QFontMetrics(option.font)))
