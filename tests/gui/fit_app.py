"""Open the real main window on a real X server and report, per page, where the window and its controls are.

Run by tests/gui/test_fits_the_screen.py once per scale factor (`QT_SCALE_FACTOR` must be set before Qt starts,
so each scale is a process of its own). Prints one JSON object: the screen's available geometry, and per page
the window's frame, every visible control's rectangle and every connector switch's rectangle, all in the
screen's logical coordinates.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from screenshot_app import CONFIG  # noqa: E402 - after the path is set


def rect(r: object) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]  # type: ignore[attr-defined]


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="plugboard-fit-"))
    os.environ["PLUGBOARD_HOME"] = str(home / "plugboard")
    config = home / "Claude" / "claude_desktop_config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps(CONFIG, indent=2))

    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QApplication,
        QComboBox,
        QLineEdit,
        QSpinBox,
    )

    from plugboard.gui.connectors_model import SWITCH
    from plugboard.gui.main_window import MainWindow

    class NotRunning:
        def status(self) -> object:
            return type("Status", (), {"running": False})()

    app = QApplication(sys.argv[:1])
    window = MainWindow(str(config), claude=NotRunning())
    window.show()
    for _ in range(10):
        app.processEvents()
    screen = window.screen()
    report: dict[str, object] = {
        "available": rect(screen.availableGeometry()),
        "scale": screen.devicePixelRatio(),
        "pages": {},
    }
    for title in window.nav.titles:
        window.show_page(title)
        for _ in range(10):
            app.processEvents()
        page = window.stack.currentWidget()
        controls = []
        for kind in (QAbstractButton, QLineEdit, QComboBox, QSpinBox, QAbstractItemView):
            for widget in page.findChildren(kind) + window.header.findChildren(kind):
                if widget.isVisibleTo(window) and widget.window() is window:
                    top_left = widget.mapToGlobal(QPoint(0, 0))
                    label = widget.accessibleName() or getattr(widget, "text", lambda: "")() or type(widget).__name__
                    controls.append([label, rect(QRect(top_left, widget.size()))])
        switches = []
        if title == "Connectors":
            table = window.page.table
            for row in range(window.page.model.rowCount()):
                cell = table.visualRect(window.page.model.index(row, SWITCH))
                top_left = table.viewport().mapToGlobal(cell.topLeft())
                switches.append(rect(QRect(top_left, cell.size())))
        report["pages"][title] = {  # type: ignore[index]
            "frame": rect(window.frameGeometry()),
            "controls": controls,
            "switches": switches,
        }
    print(json.dumps(report))
    window.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
