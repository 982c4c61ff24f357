"""Plugboard's icon, drawn in code so it is crisp at any scale (200 % included) and can carry a state colour.

The mark: two sockets joined by a cord on a rounded tile; the tile's colour is the overall state in the tray
(green all well, amber something needs attention, red something is failing, grey idle).
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

STATE_COLOURS = {"ok": "#2e9d4c", "warn": "#d98e04", "bad": "#d0342c", "idle": "#5f6b7a"}
SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def _draw(size: int, colour: str) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(colour))
    p.drawRoundedRect(QRectF(0, 0, s, s), s * 0.22, s * 0.22)
    white = QColor("white")
    p.setBrush(white)
    r = s * 0.13
    left, right = QPointF(s * 0.3, s * 0.38), QPointF(s * 0.7, s * 0.62)
    p.drawEllipse(left, r, r)
    p.drawEllipse(right, r, r)
    cord = QPainterPath(left)
    cord.cubicTo(QPointF(s * 0.3, s * 0.8), QPointF(s * 0.7, s * 0.2), right)
    p.setPen(QPen(white, max(1.0, s * 0.07), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(cord)
    p.end()
    return pixmap


def app_icon(state: str = "ok") -> QIcon:
    colour = STATE_COLOURS.get(state, STATE_COLOURS["idle"])
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(_draw(size, colour))
    return icon


@functools.cache
def status_dot(colour: str, size: int = 14) -> QIcon:
    """A round status light."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(colour))
    p.drawEllipse(QRectF(1, 1, size - 2, size - 2))
    p.end()
    return QIcon(pixmap)
