"""Start the Qt application and show the main window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from plugboard.gui.main_window import MainWindow


def run_app(config_override: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Plugboard")
    app.setOrganizationName("Plugboard")
    window = MainWindow(config_override)
    window.show()
    return int(app.exec())
