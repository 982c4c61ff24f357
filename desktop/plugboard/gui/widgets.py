"""Small widgets the pages share: a label that elides to its width and shows the whole text on hover, a
message label whose links open in the browser, and a form label whose mnemonic focuses a field in a row layout.

Why an eliding label: a path or a server address has no spaces to wrap at, so a word-wrapped `QLabel` asks for
its whole width as a minimum, and one long path made the window wider than a laptop screen at 200 %.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """One line, cut with "…" in the middle when narrower than its text; the whole text is its tooltip and its
    accessible description, and it can be selected and copied (Ctrl+C) like any label."""

    def __init__(
        self, text: str = "", parent: QWidget | None = None, mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle
    ) -> None:
        super().__init__(parent)
        self._mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)
        self.setAccessibleDescription(text)

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("…") * 6, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(self.text()) + 4, super().sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), self._mode, rect.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(self.alignment()) | int(Qt.AlignmentFlag.AlignVCenter), shown)


# An address in a message: http(s) up to the next space or closing bracket; a sentence's final '.' or ',' is not
# part of it.
URL = re.compile(r"https?://[^\s<>()\[\]\"']+[^\s<>()\[\]\"'.,;:!?]")


def linkify(text: str) -> str:
    """Plain text as rich text: escaped, line breaks kept, every http(s) address a link."""
    out, last = [], 0
    for match in URL.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        url = html.escape(match.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out).replace("\n", "<br>")


def buddy_label(text: str, buddy: QWidget) -> QLabel:
    """A form label whose &-mnemonic focuses `buddy` (QFormLayout only sets buddies for widget rows, not layouts)."""
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


class MessageLabel(QLabel):
    """A word-wrapped message whose addresses are links that open in the browser (Tab reaches them, Enter opens)."""

    def __init__(self, text: str = "", parent: QWidget | None = None, object_name: str | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setOpenExternalLinks(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        if object_name:
            self.setObjectName(object_name)
        self.plain = ""
        self.set_message(text)

    def set_message(self, text: str) -> None:
        self.plain = text
        super().setText(linkify(text))
        self.setAccessibleDescription(text)

    def text(self) -> str:
        """The message as plain text (what was set), not its rich-text form with links."""
        return self.plain

    def setText(self, text: str) -> None:
        self.set_message(text)
