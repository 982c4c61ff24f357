"""The app's look: light or dark following the system (or forced in Settings), a type hierarchy, a visible focus
ring, and the page icons (SVG in `plugboard.resources/icons`, tinted to the palette's text colour).

Following the platform: on macOS and Windows the native style already draws its own light and dark controls and
focus rings, so only the scheme is passed on (Qt 6.8+ `QStyleHints.setColorScheme`) and the style sheet styles
Plugboard's own surfaces (header, cards, notes) through `palette(...)` references. On Linux (Fusion, where the
platform rarely supplies a palette and Fusion's focus frame is a faint dotted line) Plugboard sets a light or dark
palette itself and a style sheet that draws a 2 px focus ring in the highlight colour on every control.

The scheme is re-applied when the system's changes (`colorSchemeChanged`), unless the user forced one.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

SYSTEM, LIGHT, DARK = "system", "light", "dark"
THEMES = {SYSTEM: "Same as the system", LIGHT: "Light", DARK: "Dark"}
# Icon pixmaps drawn for these logical sizes at 1× and 2× device pixels: the page list uses 20, buttons 16.
ICON_SIZES = (16, 20, 24, 32)
# Room at a combo box's right for its drop-down arrow (logical pixels), kept out of the text's width so a long
# choice ("Errors only") is not drawn under the arrow.
ARROW_ROOM = 22

LIGHT_COLOURS = {
    "window": "#f5f6f8",
    "base": "#ffffff",
    "alt": "#f0f2f5",
    "text": "#1d2125",
    "muted": "#5d6672",
    "button": "#ffffff",
    "border": "#c9ced6",
    "highlight": "#2f6feb",
    "highlighted_text": "#ffffff",
    "link": "#1f5fd6",
    "tooltip": "#2b2f36",
    "tooltip_text": "#ffffff",
    "banner": "#fff4d6",
    "ok": "#2e9d4c",
    "warn": "#b26a00",
    "bad": "#c62828",
}
DARK_COLOURS = {
    "window": "#1d1f23",
    "base": "#25282d",
    "alt": "#2c2f35",
    "text": "#e7e9ec",
    "muted": "#a2a9b3",
    "button": "#30343a",
    "border": "#4a505a",
    "highlight": "#5b93ff",
    "highlighted_text": "#0d1117",
    "link": "#8ab4ff",
    "tooltip": "#e7e9ec",
    "tooltip_text": "#1d1f23",
    "banner": "#4a3b12",
    "ok": "#4cc46e",
    "warn": "#e0a43a",
    "bad": "#ff6b63",
}


_fusion: dict[int, bool] = {}


def is_fusion(app: QApplication) -> bool:
    """Whether the app's own style is Fusion. Read once per app, before Plugboard's style sheet is set: with a
    style sheet, `app.style()` is Qt's style-sheet proxy, whose name is not the platform style's."""
    key = id(app)
    if key not in _fusion:
        _fusion[key] = app.style().name().lower() == "fusion"
    return _fusion[key]


def system_scheme() -> Qt.ColorScheme:
    return QGuiApplication.styleHints().colorScheme()


def effective_dark(choice: str) -> bool:
    """Whether the app shows dark: the forced choice, else the system's scheme (unknown reads as light)."""
    if choice == DARK:
        return True
    if choice == LIGHT:
        return False
    return system_scheme() == Qt.ColorScheme.Dark


def colours(dark: bool) -> dict[str, str]:
    return DARK_COLOURS if dark else LIGHT_COLOURS


def palette(dark: bool) -> QPalette:
    c = colours(dark)
    p = QPalette()
    role = QPalette.ColorRole
    for r, key in (
        (role.Window, "window"),
        (role.Base, "base"),
        (role.AlternateBase, "alt"),
        (role.WindowText, "text"),
        (role.Text, "text"),
        (role.ButtonText, "text"),
        (role.Button, "button"),
        (role.Highlight, "highlight"),
        (role.HighlightedText, "highlighted_text"),
        (role.Link, "link"),
        (role.LinkVisited, "link"),
        (role.ToolTipBase, "tooltip"),
        (role.ToolTipText, "tooltip_text"),
        (role.PlaceholderText, "muted"),
        (role.Mid, "border"),
        (role.Midlight, "alt"),
        (role.Dark, "border"),
        (role.Light, "base"),
    ):
        p.setColor(r, QColor(c[key]))
    muted = QColor(c["muted"])
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, muted)
    return p


@functools.cache
def arrow_image() -> str:
    """The combo boxes' drop-down arrow (resources/icons/combo-arrow.svg, a grey that reads on light and dark), as
    a style-sheet URL: a style sheet that draws a combo box's border must draw its arrow too."""
    # A real file: the resources install as package data, never zipped.
    return Path(str(resources.files("plugboard.resources") / "icons" / "combo-arrow.svg")).as_posix()


def style_sheet(dark: bool, base_pt: float, fusion: bool) -> str:
    """Plugboard's own surfaces everywhere; on Fusion also the controls' borders and the focus ring."""
    c = colours(dark)
    own = f"""
    QWidget#header {{ background: {c["base"]}; border-bottom: 1px solid {c["border"]}; }}
    QLabel#claudeState {{ font-weight: 600; }}
    QLabel#pendingText {{ color: {c["warn"]}; }}
    QLabel[role="title"] {{ font-size: {base_pt * 1.45:.1f}pt; font-weight: 600; }}
    QLabel[role="subtitle"] {{ font-size: {base_pt * 1.1:.1f}pt; font-weight: 600; }}
    QLabel[role="muted"], QLabel#source {{ color: {c["muted"]}; }}
    QLabel#note, QLabel#details {{ background: {c["alt"]}; border-radius: 6px; padding: 6px 8px; }}
    QListWidget#nav {{ background: transparent; border: none; font-size: {base_pt * 1.05:.1f}pt; outline: 0; }}
    QListWidget#nav::item {{ padding: 6px 8px; border-radius: 6px; margin: 1px 4px; }}
    QListWidget#nav::item:selected {{ background: {c["highlight"]}; color: {c["highlighted_text"]}; }}
    QListWidget#nav:focus {{ border: 2px solid {c["highlight"]}; border-radius: 8px; }}
    QFrame#card {{ background: {c["base"]}; border: 1px solid {c["border"]}; border-radius: 8px; }}
    QFrame#card[selected="true"] {{ border: 2px solid {c["highlight"]}; }}
    QFrame#card:focus {{ border: 2px solid {c["highlight"]}; }}
    QLabel#cardTitle {{ font-weight: 600; font-size: {base_pt * 1.05:.1f}pt; }}
    QLabel#cardCategory {{ color: {c["muted"]}; font-size: {base_pt * 0.9:.1f}pt; }}
    QLabel#cardAdded {{ color: {c["ok"]}; font-size: {base_pt * 0.9:.1f}pt; }}
    """
    if not fusion:
        return own
    controls = f"""
    QPushButton, QToolButton {{
        background: {c["button"]}; border: 1px solid {c["border"]}; border-radius: 6px; padding: 4px 12px;
    }}
    QToolButton {{ padding: 4px 6px; }}
    QToolButton::menu-indicator {{ image: none; width: 0; }}
    QPushButton:hover, QToolButton:hover {{ border-color: {c["highlight"]}; }}
    QPushButton:default {{ border-color: {c["highlight"]}; }}
    QPushButton:focus, QToolButton:focus {{ border: 2px solid {c["highlight"]}; padding: 3px 11px; }}
    QToolButton:focus {{ padding: 3px 5px; }}
    QPushButton:disabled, QToolButton:disabled {{
        color: {c["muted"]}; background: {c["alt"]}; border: 1px solid {c["border"]}; padding: 4px 12px;
    }}
    QToolButton:disabled {{ padding: 4px 6px; }}
    QLineEdit, QSpinBox, QPlainTextEdit {{
        background: {c["base"]}; border: 1px solid {c["border"]}; border-radius: 6px; padding: 3px 6px;
    }}
    QLineEdit:focus, QSpinBox:focus, QPlainTextEdit:focus {{
        border: 2px solid {c["highlight"]}; padding: 2px 5px;
    }}
    QComboBox {{
        border: 1px solid {c["border"]}; border-radius: 6px; padding: 3px {ARROW_ROOM}px 3px 6px;
        background: {c["button"]}; color: {c["text"]}; combobox-popup: 0;
    }}
    QComboBox:focus {{ border: 2px solid {c["highlight"]}; padding: 2px {ARROW_ROOM - 1}px 2px 5px; }}
    QComboBox:disabled {{ color: {c["muted"]}; background: {c["alt"]}; }}
    QComboBox::drop-down {{
        subcontrol-origin: padding; subcontrol-position: center right; width: {ARROW_ROOM}px; border: none;
    }}
    QComboBox::down-arrow {{ image: url({arrow_image()}); width: 12px; height: 12px; }}
    QComboBox QAbstractItemView, QComboBox QAbstractItemView:focus {{
        background: {c["base"]}; color: {c["text"]}; border: 1px solid {c["border"]}; border-radius: 0;
        outline: 0; padding: 0; selection-background-color: {c["highlight"]};
        selection-color: {c["highlighted_text"]};
    }}
    QTableView, QListView {{
        background: {c["base"]}; border: 1px solid {c["border"]}; border-radius: 6px;
        selection-background-color: {c["highlight"]}; selection-color: {c["highlighted_text"]};
    }}
    QTableView:focus, QListView:focus, QScrollArea#cards:focus {{ border: 2px solid {c["highlight"]}; }}
    QHeaderView::section {{
        background: {c["alt"]}; border: none; border-bottom: 1px solid {c["border"]}; padding: 3px 6px;
        font-weight: 600;
    }}
    QCheckBox:focus {{ border: 2px solid {c["highlight"]}; border-radius: 4px; }}
    QCheckBox {{ border: 2px solid transparent; padding: 1px 2px; }}
    QToolTip {{ background: {c["tooltip"]}; color: {c["tooltip_text"]}; border: none; padding: 4px 6px; }}
    QMenu {{ background: {c["base"]}; border: 1px solid {c["border"]}; }}
    QMenu::item:selected {{ background: {c["highlight"]}; color: {c["highlighted_text"]}; }}
    """
    return own + controls


class Theme(QObject):
    """Applies a choice (system / light / dark) to the app and follows the system while the choice is "system"."""

    changed = Signal(bool)
    """Applied again (dark or not): icons drawn in the text colour are drawn anew."""

    def __init__(self, app: QApplication, choice: str = SYSTEM, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.choice = choice if choice in THEMES else SYSTEM
        self.fusion = is_fusion(app)
        self.base_pt = app.font().pointSizeF() if app.font().pointSizeF() > 0 else 10.0
        self.dark = False
        app.styleHints().colorSchemeChanged.connect(self._system_changed)
        self.apply()

    def _system_changed(self, _scheme: Qt.ColorScheme) -> None:
        self.apply()

    def set_choice(self, choice: str) -> None:
        self.choice = choice if choice in THEMES else SYSTEM
        if not self.fusion:
            # The native styles follow the scheme Qt is told; "system" gives the choice back to the OS.
            scheme = {DARK: Qt.ColorScheme.Dark, LIGHT: Qt.ColorScheme.Light}.get(choice, Qt.ColorScheme.Unknown)
            self.app.styleHints().setColorScheme(scheme)
        self.apply()

    def apply(self) -> None:
        self.dark = effective_dark(self.choice)
        if self.fusion:
            self.app.setPalette(palette(self.dark))
        self.app.setStyleSheet(style_sheet(self.dark, self.base_pt, self.fusion))
        self.changed.emit(self.dark)


@functools.cache
def _svg(name: str) -> bytes:
    return (resources.files("plugboard.resources") / "icons" / f"{name}.svg").read_bytes()


@functools.cache
def _tinted(name: str, colour: str) -> QIcon:
    from PySide6.QtSvg import QSvgRenderer

    data = _svg(name).replace(b"#000000", colour.encode())
    renderer = QSvgRenderer(QByteArray(data))
    icon = QIcon()
    for size in ICON_SIZES:
        for scale in (1, 2):
            pixmap = QPixmap(size * scale, size * scale)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(painter, QRectF(0, 0, size * scale, size * scale))
            painter.end()
            pixmap.setDevicePixelRatio(scale)
            icon.addPixmap(pixmap)
    return icon


def icon(name: str, colour: str | None = None) -> QIcon:
    """An SVG icon from resources/icons, drawn in the palette's text colour (or `colour`): crisp at 200 %."""
    if colour is None:
        colour = QApplication.palette().color(QPalette.ColorRole.WindowText).name()
    return _tinted(name, colour)
