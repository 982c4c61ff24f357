"""Start the Qt application and show the main window."""

from __future__ import annotations

import gc
import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from plugboard.gui.keys import install_enter_presses
from plugboard.gui.main_window import MainWindow

# How often Python hands the GIL between threads. The default 5 ms means every call from Qt into Python code (a
# model's data(), a slot) can wait up to 5 ms while a log follower thread parses a burst of lines; at 50,000
# lines/s that added up to 60-90 ms event-loop stalls. 1 ms halved the worst stall (tests/benchmarks/bench_gui.py)
# at no visible cost to the followers' throughput.
GIL_SWITCH_INTERVAL_S = 0.001
# PLUGBOARD_SCREENSHOT=FILE: save the window's first frames to FILE, then quit. The package smoke tests
# (packaging/smoke.py) use it on macOS and Windows, where no outside tool may look at another app's window. 1.5 s
# lets the first look at Claude's file and the first paint finish.
SCREENSHOT_AFTER_MS = 1500


def tune_interpreter() -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)


def settle_heap() -> None:
    """Move everything built so far (modules, Qt wrappers, the window) out of the garbage collector's sight.

    A log flood creates and drops a million small objects; each full collection then walked every object of the
    app as well and took 40-47 ms on the GUI thread (measured with gc.callbacks in tests/benchmarks/bench_gui.py).
    After `gc.freeze()` those collections take ~6 ms. Frozen objects are still freed normally when unreferenced.
    """
    gc.freeze()


def run_app(config_override: str | None = None) -> int:
    tune_interpreter()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Plugboard")
    app.setOrganizationName("Plugboard")
    install_enter_presses(app)
    window = MainWindow(config_override)
    window.show()
    screenshot = os.environ.get("PLUGBOARD_SCREENSHOT")
    if screenshot:

        def save_and_quit() -> None:
            window.grab().save(screenshot, "PNG")
            window.quit()

        QTimer.singleShot(SCREENSHOT_AFTER_MS, save_and_quit)
    settle_heap()
    return int(app.exec())
