"""Dialogs that fit the screen they open on: a scrolling body, the button row pinned under it, and a size clamped to
the screen's available area.

Why: a 1366×768 laptop at 150 % is 911×512 logical pixels, and at 200 % 683×384. A form laid out at its natural
height (the connector form is about 640) put Save, Next and Test below the bottom edge, out of reach. The form's
fields now scroll inside the dialog (Qt scrolls a field into view when Tab reaches it) while the buttons that
finish the dialog stay visible, and a dialog never asks for more than the screen has.

Also here: `browse_for_key`, the private-key file picker the tunnel form and the remote wizard share.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QFrame, QLineEdit, QScrollArea, QWidget

# The available area leaves out the desktop's panels but not the dialog's own title bar and borders, which the
# window manager adds around it: keep this much free (logical pixels) so the frame fits too.
FRAME_ALLOWANCE = QSize(24, 60)


def scrolling(body: QWidget) -> QScrollArea:
    """`body` in a frameless scroll area that follows its width: it scrolls only when the dialog is too small."""
    area = QScrollArea()
    area.setWidget(body)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    # The area itself is no Tab stop: focus goes straight to the fields inside, and Qt scrolls each into view.
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


def available_size(widget: QWidget) -> QSize:
    """The room a dialog of `widget` has: its screen's (or its parent's, before it is shown) available area, less
    the window frame."""
    screen = (widget.parentWidget() or widget).screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry().size()
    return QSize(max(1, area.width() - FRAME_ALLOWANCE.width()), max(1, area.height() - FRAME_ALLOWANCE.height()))


def fit_to_screen(dialog: QWidget, width: int, height: int) -> None:
    """Open `dialog` at `width`×`height`, or smaller where the screen is smaller (its scrolling body takes what
    does not fit). Only the opening size: the person may still make it larger, on a larger screen."""
    room = available_size(dialog)
    dialog.resize(min(width, room.width()), min(height, room.height()))


def browse_for_key(parent: QWidget, field: QLineEdit) -> None:
    """Choose a private key file (starting in ~/.ssh, or where `field` points) and put its path in `field`."""
    start = field.text() or str(Path.home() / ".ssh")
    path, _filter = QFileDialog.getOpenFileName(parent, "Choose your private key", start)
    if path:
        field.setText(path)
